// The summary table of a network, like Keras' model.summary(): computed by
// the compiler from the network's type, printed at run time.
#include <iostream>

#include "networks/fashion_nets.hpp"

int main() {
    using typenet::dsl::summary;
    std::cout << "EVA-style network (BN, 1x1 transitions, global average pooling, no dense layer):\n"
              << summary(samples::eva_net) << "\nFashion-MNIST network (under 100k parameters):\n"
              << summary(samples::fashion_net)
              << "\nResNet-style network (residual units, a projection, depthwise separable units):\n"
              << summary(samples::resnet_net);
}
