// typenet's side of bench/conv_vs_pytorch: times the generated forward and
// forward+backward (weight, bias and input gradients) of each convolution,
// and the machine's FMA peak. Prints one JSON object per line.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "chain_99_kernels.hpp"
#include "conv_16_16_kernels.hpp"
#include "conv_16_32_kernels.hpp"
#include "conv_1_16_kernels.hpp"
#include "conv_32_32_kernels.hpp"
#include "conv_64_64_kernels.hpp"
#include "depthwise_64_kernels.hpp"
#include "grouped_64_64_kernels.hpp"
#include "fma_peak.hpp"

namespace {

// Median seconds of `run`, after warm-up, over at least 5 runs and 1 second.
template <class Run>
double median_seconds(Run run) {
    for (int i = 0; i < 2; ++i) run();
    std::vector<double> times;
    const auto begin = std::chrono::steady_clock::now();
    while (times.size() < 5 || std::chrono::steady_clock::now() - begin < std::chrono::seconds(1)) {
        const auto start = std::chrono::steady_clock::now();
        run();
        times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
    return times[times.size() / 2];
}

template <class K>
void measure(const char* name, std::size_t batch) {
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.f, 1.f);
    std::vector<float> input(batch * K::input_shape.size()), params(K::parameter_count);
    std::vector<float> out(batch * K::output_shape.size()), d_output(out.size()), grads(K::parameter_count);
    std::vector<float> d_input(input.size());
    for (float& v : input) v = normal(rng);
    for (float& v : params) v = 0.3f * normal(rng);
    for (float& v : d_output) v = normal(rng);
    std::vector<float> state;
    const double forward = median_seconds([&] { K::forward(input, batch, params, state, out); });
    const double forward_backward =
        median_seconds([&] { K::backward(input, d_output, batch, params, state, grads, d_input, 0); });
    long long macs = 0;
    for (const auto& l : typenet::dsl::layers(K::network)) macs += l.macs;
    std::printf("{\"shape\": \"%s\", \"batch\": %zu, \"macs\": %lld, \"forward_s\": %.6g, \"forward_backward_s\": %.6g, "
                "\"target\": \"%s\"}\n",
                name, batch, macs * (long long)batch, forward, forward_backward,
                typenet::active_cpu_variant().c_str());
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
    typenet::set_threads(threads);
    measure<conv_1_16_kernels>("1->16 28x28", 64);
    measure<conv_16_16_kernels>("16->16 26x26", 64);
    measure<conv_16_32_kernels>("16->32 12x12", 64);
    measure<conv_32_32_kernels>("32->32 10x10", 64);
    measure<conv_64_64_kernels>("64->64 56x56", 64);
    measure<depthwise_64_kernels>("dw 64 28x28 p1", 64);
    measure<grouped_64_64_kernels>("64->64/8 14x14 p1", 64);
    measure<chain_99_kernels>("99x 1->1 199x199", 1);
    // Last: right after a second of both cores at full FMA load, this
    // machine ran the next measurement up to twice as slow.
    std::printf("{\"fma_peak_gflops\": %.1f, \"threads\": %d}\n", measure_fma_peak_gflops(threads), threads);
}
