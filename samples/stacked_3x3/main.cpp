// Seed question 2: why (nearly) always 3x3 kernels?
// n stacked 3x3 convs see as far as one (2n+1)x(2n+1) conv, with 9n weights
// per channel pair instead of (2n+1)^2, and n nonlinearities instead of one.
// Every number printed here is read from a network type and static_asserted.
#include <cstdio>
#include <typenet/dsl.hpp>

using namespace typenet::dsl;

template <int N>
struct comparison {
    static constexpr int k = 2 * N + 1;
    // Reaching a 1x1 output from a k x k input, one channel in and out.
    static constexpr auto single = input<1, k, k> | conv<1, k, no_bias>;
    static constexpr auto stacked = input<1, k, k> | repeat<N>(conv<1, 3, no_bias> | relu);
    // The same two on a large 16-channel feature map, padded to keep its size.
    static constexpr auto single_wide = input<16, 56, 56> | conv<16, k, pad<N>, no_bias>;
    static constexpr auto stacked_wide = input<16, 56, 56> | repeat<N>(conv<16, 3, pad<1>, no_bias> | relu);

    static_assert(output_shape(single) == shape<1, 1, 1> && output_shape(stacked) == shape<1, 1, 1>);
    static_assert(receptive_field(single) == k && receptive_field(stacked) == k);
    static_assert(parameter_count(single) == k * k);
    static_assert(parameter_count(stacked) == 9 * N);
    static_assert(output_shape(single_wide) == output_shape(stacked_wide));
    static_assert(parameter_count(single_wide) == 16 * 16 * k * k);
    static_assert(mac_count(single_wide) == 56 * 56 * 16 * 16 * k * k);
    static_assert(mac_count(stacked_wide) == N * 56 * 56 * 16 * 16 * 9);

    static void print_row() {
        const long long one = parameter_count(single), many = parameter_count(stacked);
        std::printf("%2d  %2dx%-2d  %dx 3x3  %9d  %10lld  %13lld  %6.0f%%  %13.0f  %12.0f\n", N, k, k, N,
                    receptive_field(stacked), one, many, 100.0 * double(one - many) / double(one),
                    double(mac_count(single_wide)) / (56 * 56 * 16), double(mac_count(stacked_wide)) / (56 * 56 * 16));
    }
};

// The lesson's example: one 5x5 kernel or two stacked 3x3 kernels.
inline constexpr auto one_5x5 = input<1, 5, 5> | conv<1, 5, no_bias>;
inline constexpr auto two_3x3 = input<1, 5, 5> | conv<1, 3, no_bias> | relu | conv<1, 3, no_bias>;
static_assert(receptive_field(one_5x5) == 5 && receptive_field(two_3x3) == 5);
static_assert(parameter_count(one_5x5) == 25 && parameter_count(two_3x3) == 18);

int main() {
    std::printf("5x5 input to 1x1 output:\n");
    std::printf("  one 5x5 conv:      %s, receptive field %d, %lld weights per channel pair\n",
                std::string(shape_trace(one_5x5)).c_str(), receptive_field(one_5x5),
                static_cast<long long>(parameter_count(one_5x5)));
    std::printf("  two stacked 3x3:   %s, receptive field %d, %lld weights per channel pair\n\n",
                std::string(shape_trace(two_3x3)).c_str(), receptive_field(two_3x3),
                static_cast<long long>(parameter_count(two_3x3)));
    std::printf(" n  kernel  stack   receptive  weights of  weights of the  saving  MACs per pixel  MACs per pixel\n");
    std::printf("                    field      one kernel  3x3 stack               one kernel      3x3 stack\n");
    comparison<1>::print_row();
    comparison<2>::print_row();
    comparison<3>::print_row();
    comparison<4>::print_row();
    comparison<5>::print_row();
    std::printf("\nMACs per pixel: per output pixel and output channel, 16 channels in, padded to keep 56x56.\n"
                "The stack also applies n nonlinearities where the single kernel applies one.\n");
}
