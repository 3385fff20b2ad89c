// Layers that keep their input's shape: activations, batchnorm, dropout.
#pragma once

#include "../layer_spec.hpp"

namespace typenet::dsl {

enum class activation { relu, leaky_relu, tanh, sigmoid, elu };

// Parameter: the negative slope of leaky_relu, the alpha of elu, unused otherwise.
template <activation F, double Parameter = 0.0>
struct activation_layer {
    static constexpr activation function = F;
    static constexpr double parameter = Parameter;

    static constexpr label_text label = [] {
        constexpr std::string_view names[] = {"relu", "leaky_relu", "tanh", "sigmoid", "elu"};
        label_text t{names[static_cast<int>(F)]};
        if (F == activation::leaky_relu || F == activation::elu) t << "<" << Parameter << ">";
        return t;
    }();

    static constexpr layer_description describe(tensor_shape in) {
        layer_description s;
        s.kind = layer_kind::activation;
        s.out = in;
        return s;
    }
};

inline constexpr activation_layer<activation::relu> relu{};
template <double NegativeSlope>
inline constexpr activation_layer<activation::leaky_relu, NegativeSlope> leaky_relu_with{};
inline constexpr auto leaky_relu = leaky_relu_with<0.01>;  // torch.nn.LeakyReLU's default
// Spelled `tanh` as the language lists it; `tanh_activation` names the same
// layer where <cmath>'s ::tanh makes the unqualified name ambiguous.
inline constexpr activation_layer<activation::tanh> tanh{};
inline constexpr activation_layer<activation::tanh> tanh_activation{};
inline constexpr activation_layer<activation::sigmoid> sigmoid{};
template <double Alpha>
inline constexpr activation_layer<activation::elu, Alpha> elu_with{};
inline constexpr auto elu = elu_with<1.0>;

// torch.nn.BatchNorm2d (BatchNorm1d after flatten): per channel, gamma
// ("weight") and beta ("bias") trained; running mean and variance kept.
template <double Epsilon = 1e-5, double Momentum = 0.1>
struct batchnorm_layer {
    static constexpr double epsilon = Epsilon;
    static constexpr double momentum = Momentum;
    static constexpr label_text label{"batchnorm"};

    static constexpr layer_description describe(tensor_shape in) {
        layer_description s;
        s.kind = layer_kind::batchnorm;
        s.out = in;
        s.add_param(tensor("weight", in.c)).add_param(tensor("bias", in.c));
        s.add_buffer(tensor("running_mean", in.c)).add_buffer(tensor("running_var", in.c));
        return s;
    }
};
inline constexpr batchnorm_layer<> batchnorm{};
template <double Epsilon, double Momentum>
inline constexpr batchnorm_layer<Epsilon, Momentum> batchnorm_with{};

// torch.nn.Dropout: zeroes each value with probability P while training and
// scales the rest by 1/(1-P); the identity at inference.
template <double P>
struct dropout_layer {
    static constexpr double probability = P;
    static constexpr label_text label = [] {
        label_text t;
        return t << "dropout<" << P << ">";
    }();

    static constexpr layer_description describe(tensor_shape in) {
        if (!(P >= 0.0 && P < 1.0)) return rejected("its drop probability ", P, " is outside [0, 1)");
        layer_description s;
        s.kind = layer_kind::dropout;
        s.out = in;
        return s;
    }
};
template <double P>
inline constexpr dropout_layer<P> dropout{};

}  // namespace typenet::dsl
