// The sample networks the benches build (bench_<name>_net, bench/CMakeLists.txt),
// chosen by the name the bench scripts pass.
#pragma once

#include <cstdio>
#include <string>

#include "bench_eva_net_kernels.hpp"
#include "bench_fashion_net_kernels.hpp"
#include "bench_resnet_net_kernels.hpp"

namespace bench {
// Calls run.template operator()<Kernels>(name) for the network named `network`
// (fashion, eva or resnet) and returns its result; 2 for an unknown name.
template <class Run>
int with_sample_network(const std::string& network, Run&& run) {
    if (network == "fashion") return run.template operator()<bench_fashion_net_kernels>("fashion");
    if (network == "eva") return run.template operator()<bench_eva_net_kernels>("eva");
    if (network == "resnet") return run.template operator()<bench_resnet_net_kernels>("resnet");
    std::fprintf(stderr, "unknown network %s: fashion, eva or resnet\n", network.c_str());
    return 2;
}
}  // namespace bench
