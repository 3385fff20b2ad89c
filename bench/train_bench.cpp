// One epoch of Fashion-MNIST training with typenet, timed: the typenet half
// of bench/train_vs_pytorch (train_pytorch.py is the other).
//   train_bench <fashion|eva|resnet> <threads> [images]
// Prints "typenet <network>: <images> images in <s> s = <x> images/s".
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <typenet/trainer.hpp>

#include "sample_kernels.hpp"

namespace {
template <class Kernels>
int run(const char* name, int threads, std::size_t images) {
    using namespace typenet;
    set_threads(threads);
    image_set train = load_mnist_format(default_fashion_mnist_dir, "train");
    image_set test = load_mnist_format(default_fashion_mnist_dir, "t10k");
    if (images < train.size()) {
        train.labels.resize(images);
        train.pixels.resize(images * train.shape.size());
    }
    test.labels.resize(256);  // the evaluation after the epoch is not timed; keep it short
    test.pixels.resize(256 * test.shape.size());
    fit_options o;
    o.epochs = 1;
    o.batch = 64;
    o.optim = optimizer_options::sgd(0.01, 0.9);
    o.seed = 1;
    std::ostringstream quiet;
    o.out = &quiet;
    trainer<Kernels> t(o.seed);
    const fit_result r = t.fit(train, test, o);
    const epoch_record& e = r.history.at(0);
    std::printf("typenet %s: %zu images in %.3f s = %.1f images/s (target %s, loss %.4f)\n", name, train.size(),
                e.seconds, e.images_per_second, Kernels::selected_variant().c_str(),
                e.train_loss);
    return 0;
}
}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: train_bench <fashion|eva|resnet> <threads> [images]\n");
        return 2;
    }
    const std::string network = argv[1];
    const int threads = std::atoi(argv[2]);
    const std::size_t images = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 60000;
    try {
        return bench::with_sample_network(
            network, [&]<class Kernels>(const char* name) { return run<Kernels>(name, threads, images); });
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
