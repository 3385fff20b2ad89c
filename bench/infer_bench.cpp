// Inference latency of a sample network with typenet: the typenet half of
// bench/infer_vs_peers (infer_peers.py times ONNX Runtime and OpenVINO on
// the PyTorch twin). One `forward` call on a batch of test images, repeated
// for about a second after a warm-up; the median call.
//   infer_bench <fashion|eva|resnet> <threads> <batch>
// Prints "typenet <network> batch <b> threads <t>: <ms> ms (median of <n> calls, target <cpu>)".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <typenet/trainer.hpp>
#include <vector>

#include "sample_kernels.hpp"

namespace {
using clock_type = std::chrono::steady_clock;

template <class Kernels>
int run(const char* name, int threads, std::size_t batch) {
    using namespace typenet;
    set_threads(threads);
    const image_set test = load_mnist_format(default_fashion_mnist_dir, "t10k");
    std::vector<std::uint32_t> indices(batch);
    std::iota(indices.begin(), indices.end(), 0u);
    for (auto& i : indices) i %= std::uint32_t(test.size());
    std::vector<float> images(batch * Kernels::input_shape.size()), scores(batch * Kernels::classes);
    std::vector<std::int32_t> labels(batch);
    random_stream unused(0);
    fill_batch(test, indices, measure_normalization(test), {}, unused, images, labels);
    trainer<Kernels> t(1);  // He/Xavier weights, batchnorm statistics at their start (mean 0, variance 1)

    const auto call = [&] { Kernels::forward(images, batch, t.params(), t.buffers(), scores); };
    for (int i = 0; i < 10; ++i) call();  // thread pool up, scratch memory cached
    std::vector<double> ms;
    const auto end = clock_type::now() + std::chrono::seconds(1);
    while (ms.size() < 20 || clock_type::now() < end) {
        const auto start = clock_type::now();
        call();
        ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
    }
    std::nth_element(ms.begin(), ms.begin() + long(ms.size() / 2), ms.end());
    std::printf("typenet %s batch %zu threads %d: %.4f ms (median of %zu calls, target %s)\n", name, batch, threads,
                ms[ms.size() / 2], ms.size(), Kernels::selected_variant().c_str());
    return 0;
}
}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: infer_bench <fashion|eva|resnet> <threads> <batch>\n");
        return 2;
    }
    const std::string network = argv[1];
    const int threads = std::atoi(argv[2]);
    const std::size_t batch = std::strtoull(argv[3], nullptr, 10);
    if (threads < 1 || batch < 1) {
        std::fprintf(stderr, "infer_bench: threads and batch must be positive\n");
        return 2;
    }
    try {
        return bench::with_sample_network(
            network, [&]<class Kernels>(const char* name) { return run<Kernels>(name, threads, batch); });
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
