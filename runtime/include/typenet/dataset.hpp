// Labelled images in memory (bytes, as the files hold them: 60,000 28x28
// images take 47 MB), and the batches a trainer draws from them:
// normalization, seeded shuffling, a last partial batch, light augmentation.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <typenet/dsl.hpp>
#include <vector>

#include "idx.hpp"
#include "rng.hpp"

namespace typenet {

struct image_set {
    dsl::tensor_shape shape{};            // one image: channels x height x width
    std::vector<std::uint8_t> pixels;     // image after image, CHW
    std::vector<std::int32_t> labels;
    int classes = 0;

    std::size_t size() const { return labels.size(); }
};

// The MNIST-format set `prefix` ("train" or "t10k") in `dir`:
// <prefix>-images-idx3-ubyte[.gz] and <prefix>-labels-idx1-ubyte[.gz].
// Throws data_error naming the file, what is wrong, and how to get the data.
image_set load_mnist_format(const std::filesystem::path& dir, const std::string& prefix, int classes = 10);

// Where Debian's dataset-fashion-mnist package puts Fashion-MNIST.
inline const std::filesystem::path default_fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";

// Pixels become (pixel / 255 - mean) / stddev.
struct normalization {
    float mean = 0, stddev = 1;
};
normalization measure_normalization(const image_set& set);

struct augmentation {
    int crop_padding = 0;      // random crop of the image padded with this many zero pixels a side
    bool horizontal_flip = false;
    // Random erasing (Zhong et al., 2017), after the crop and flip: with this
    // probability a rectangle of 2% to 40% of the image, aspect 0.3 to 3.3,
    // becomes uniformly random pixels, so the network cannot lean on any one part.
    double erase_probability = 0;
    // What fill_batch draws from its random stream for each image: a fixed
    // count whatever is drawn, so a rank can skip to its share of an epoch.
    int draws_per_image() const {
        return (crop_padding ? 2 : 0) + (horizontal_flip ? 1 : 0) + (erase_probability > 0 ? erase_draws : 0);
    }
    static constexpr int erase_draws = 6;  // whether, area, aspect, top, left, the fill's seed
};

// A seeded permutation of [0, n): epoch `epoch` of run `seed`.
std::vector<std::uint32_t> shuffled_order(std::size_t n, std::uint64_t seed, std::uint64_t epoch);

// Writes the images `indices` (normalized, augmented if asked) NCHW into
// `images` and their labels into `labels`.
void fill_batch(const image_set& set, std::span<const std::uint32_t> indices, normalization norm,
                const augmentation& augment, random_stream& random, std::span<float> images,
                std::span<std::int32_t> labels);

}  // namespace typenet
