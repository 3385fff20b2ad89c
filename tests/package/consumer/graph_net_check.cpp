// An outside project trains and evaluates a network with residual units, a
// concat and grouped convs, and writes one step's numbers for its PyTorch
// twin to check (check_against_torch.py): at batch 1 and at batch 5, the
// parameters and running statistics under PyTorch's names, the input and
// labels, the inference scores, the training loss, every gradient and the
// updated running statistics.
//
//   graph_net_check STEP.safetensors
#include <cstdio>
#include <random>
#include <string>
#include <typenet/safetensors.hpp>
#include <typenet/trainer.hpp>
#include <vector>

#include "graph_net_kernels.hpp"

namespace {
using K = graph_net_kernels;
namespace dsl = typenet::dsl;

std::vector<std::int64_t> dims_of(const dsl::tensor_entry& e) {
    return std::vector<std::int64_t>(e.dims.begin(), e.dims.begin() + e.rank);
}

// Which of 5 places (a quadrant or the centre) holds a bright square, in
// which channel: a set a small network learns in a few epochs.
typenet::image_set synthetic_set(std::size_t n, unsigned seed) {
    typenet::image_set set;
    set.shape = K::input_shape;
    set.classes = K::classes;
    std::mt19937 rng(seed);
    const int corners[5][2] = {{1, 1}, {7, 1}, {1, 7}, {7, 7}, {4, 4}};
    for (std::size_t i = 0; i < n; ++i) {
        const int label = int(rng() % 5);
        std::vector<std::uint8_t> image(set.shape.size());
        for (auto& p : image) p = std::uint8_t(rng() % 60);
        const int channel = int(rng() % 3);
        for (int y = 0; y < 4; ++y)
            for (int x = 0; x < 4; ++x)
                image[std::size_t((channel * 12 + corners[label][1] + y) * 12 + corners[label][0] + x)] = 220;
        set.pixels.insert(set.pixels.end(), image.begin(), image.end());
        set.labels.push_back(label);
    }
    return set;
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: graph_net_check STEP.safetensors\n");
        return 2;
    }
    typenet::trainer<K> t(11);
    const std::span<float> params = t.params(), state = t.buffers();
    // Running statistics other than PyTorch's fresh 0 and 1, so inference
    // checks that they are read.
    for (std::size_t i = 0; i < state.size(); ++i) state[i] = i % 2 ? 0.5f + 0.1f * float(i % 7) : 0.05f * float(i % 5);

    typenet::safetensors_file file;
    for (const auto& e : dsl::parameter_layout(K::network))
        file.add_f32(std::string(e.name.view()), dims_of(e), params.subspan(e.offset, e.count));
    for (const auto& e : dsl::buffer_layout(K::network))
        file.add_f32(std::string(e.name.view()), dims_of(e), state.subspan(e.offset, e.count));

    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.f, 1.f);
    for (std::size_t batch : {std::size_t{1}, std::size_t{5}}) {
        const std::string at = "batch" + std::to_string(batch) + ".";
        std::vector<float> input(batch * K::input_shape.size()), scores(batch * K::classes),
            grads(K::parameter_count), new_state(state.begin(), state.end());
        for (float& v : input) v = normal(rng);
        std::vector<std::int32_t> labels(batch);
        std::vector<std::int64_t> labels64(batch);
        for (std::size_t i = 0; i < batch; ++i) labels64[i] = labels[i] = std::int32_t(rng() % K::classes);
        K::forward(input, batch, params, state, scores);
        const auto step = K::train_step(input, labels, batch, params, new_state, grads, 0);
        const auto b = std::int64_t(batch);
        file.add_f32(at + "input", {b, K::input_shape.c, K::input_shape.h, K::input_shape.w}, input);
        file.add_i64(at + "labels", {b}, labels64);
        file.add_f32(at + "scores", {b, K::classes}, scores);
        file.add_f32(at + "loss", {}, std::span(&step.loss, 1));
        for (const auto& e : dsl::parameter_layout(K::network))
            file.add_f32(at + "grad." + std::string(e.name.view()), dims_of(e),
                         std::span<const float>(grads).subspan(e.offset, e.count));
        for (const auto& e : dsl::buffer_layout(K::network))
            file.add_f32(at + "new." + std::string(e.name.view()), dims_of(e),
                         std::span<const float>(new_state).subspan(e.offset, e.count));
    }
    typenet::write_safetensors(argv[1], file);

    // Training and evaluation through the runtime, on a set it must learn.
    typenet::fit_options o;
    o.epochs = 4;
    o.batch = 32;
    o.optim = typenet::optimizer_options::adam(3e-3);
    o.interactive = false;
    const auto result = t.fit(synthetic_set(1024, 1), synthetic_set(256, 2), o);
    std::printf("graph_net: test accuracy %.4f on a synthetic set after %d epochs\n", result.final_test.accuracy(),
                o.epochs);
    return result.final_test.accuracy() >= 0.9 ? 0 : 1;
}
