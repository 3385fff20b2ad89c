// Networks that break one rule each. The build compiles this file once per
// case (-DCASE_<name>) and expects the compiler to reject it with the rule's
// sentence; with no case defined it must compile cleanly.
#include <typenet/dsl.hpp>

using namespace typenet::dsl;

// A valid network, so the control build proves the file itself is sound.
inline constexpr auto valid = input<3, 32, 32> | conv<8, 3> | relu | maxpool<2, 2, tile_exactly> | flatten |
                              dense<10> | softmax_xent<10>;

#if defined(CASE_kernel_too_large)
inline constexpr auto net = input<1, 9, 9> | conv<8, 3> | conv<8, 5> | conv<8, 5>;
#elif defined(CASE_dilated_kernel_too_large)
inline constexpr auto net = input<1, 8, 8> | conv<4, 3, dilation<4>>;
#elif defined(CASE_padded_kernel_too_large)
inline constexpr auto net = input<1, 4, 4> | conv<4, 9, pad<2>>;
#elif defined(CASE_kernel_too_large_in_repeat)
inline constexpr auto net = input<1, 5, 5> | repeat<3>(conv<1, 3> | relu);
#elif defined(CASE_zero_size_input)
inline constexpr auto net = input<1, 0, 28> | conv<8, 3>;
#elif defined(CASE_zero_output_channels)
inline constexpr auto net = input<1, 28, 28> | conv<0, 3>;
#elif defined(CASE_zero_stride)
inline constexpr auto net = input<1, 28, 28> | conv<8, 3, stride<0>>;
#elif defined(CASE_pool_does_not_tile)
inline constexpr auto net = input<1, 28, 28> | conv<4, 3> | maxpool<2> | maxpool<2, 2, tile_exactly>;
#elif defined(CASE_pool_padding_too_large)
inline constexpr auto net = input<1, 28, 28> | maxpool<2, 2, pad<2>>;
#elif defined(CASE_layer_after_loss)
inline constexpr auto net = input<1, 28, 28> | flatten | dense<10> | softmax_xent<10> | relu;
#elif defined(CASE_loss_class_mismatch)
inline constexpr auto net = input<1, 28, 28> | flatten | dense<16> | softmax_xent<10>;
#elif defined(CASE_loss_on_spatial_input)
inline constexpr auto net = input<1, 28, 28> | conv<10, 3> | softmax_xent<10>;
#elif defined(CASE_fixed_conv_channels)
inline constexpr auto net = input<3, 32, 32> | fixed_conv<filters(sobel_x, sobel_y)>;
#elif defined(CASE_dense_without_flatten)
inline constexpr auto net = input<1, 28, 28> | conv<8, 3> | dense<10>;
#elif defined(CASE_dropout_probability)
inline constexpr auto net = input<1, 28, 28> | dropout<1.5>;
#elif defined(CASE_input_not_first)
inline constexpr auto net = input<1, 28, 28> | relu | input<1, 28, 28>;
#elif defined(CASE_residual_shape_mismatch)
inline constexpr auto net = input<16, 28, 28> | relu | residual(conv<32, 3, stride<2>, pad<1>> | batchnorm);
#elif defined(CASE_residual_shortcut_mismatch)
inline constexpr auto net = input<16, 28, 28> | residual(conv<32, 3, stride<2>, pad<1>>, conv<32, 1>);
#elif defined(CASE_concat_size_mismatch)
inline constexpr auto net = input<16, 28, 28> | concat(conv<8, 1>, conv<8, 3> | relu);
#elif defined(CASE_groups_do_not_divide)
inline constexpr auto net = input<16, 28, 28> | conv<32, 3, groups<3>>;
#elif defined(CASE_loss_inside_unit)
inline constexpr auto net =
    input<16, 8, 8> | concat(conv<8, 1>, global_avgpool | flatten | dense<10> | softmax_xent<10>);
#elif defined(CASE_error_inside_nested_unit)
inline constexpr auto net = input<8, 6, 6> | concat(conv<8, 1>, residual(conv<8, 3, pad<1>> | conv<8, 9>));
#elif defined(CASE_unknown_option)
inline constexpr auto net = input<1, 28, 28> | conv<8, 3, tile_exactly>;
#endif
