#include <typenet/dataset.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace typenet {

namespace {
constexpr std::uint32_t max_side = 1u << 15;  // a side that fits the dsl's int shapes with room to multiply

std::filesystem::path find_file(const std::filesystem::path& dir, const std::string& name) {
    for (const std::filesystem::path candidate : {dir / (name + ".gz"), dir / name})
        if (std::filesystem::exists(candidate)) return candidate;
    throw data_error(
        (dir / (name + ".gz")).string() + ": no such file (nor " + name + " uncompressed). Fashion-MNIST comes with "
        "Debian's package: apt-get install dataset-fashion-mnist; or pass the folder holding the four IDX files "
        "with --data-dir");
}
}  // namespace

image_set load_mnist_format(const std::filesystem::path& dir, const std::string& prefix, int classes) {
    const auto images_path = find_file(dir, prefix + "-images-idx3-ubyte");
    const auto labels_path = find_file(dir, prefix + "-labels-idx1-ubyte");
    idx_array images = read_idx(images_path);
    idx_array labels = read_idx(labels_path);
    if (images.dims.size() != 3)
        throw data_error(images_path.string() + ": expected 3 dimensions (images x rows x columns), found " +
                         std::to_string(images.dims.size()));
    if (labels.dims.size() != 1)
        throw data_error(labels_path.string() + ": expected 1 dimension (labels), found " + std::to_string(labels.dims.size()));
    if (images.dims[0] != labels.dims[0])
        throw data_error(images_path.string() + " holds " + std::to_string(images.dims[0]) + " images but " +
                         labels_path.string() + " holds " + std::to_string(labels.dims[0]) + " labels");
    if (images.dims[1] > max_side || images.dims[2] > max_side)
        throw data_error(images_path.string() + ": declares images of " + std::to_string(images.dims[1]) + "x" +
                         std::to_string(images.dims[2]) + " pixels; at most " + std::to_string(max_side) +
                         " a side are supported");
    image_set set;
    set.shape = {1, int(images.dims[1]), int(images.dims[2])};
    set.pixels = std::move(images.values);
    set.classes = classes;
    set.labels.resize(labels.values.size());
    for (std::size_t i = 0; i < labels.values.size(); ++i) {
        if (labels.values[i] >= classes)
            throw data_error(labels_path.string() + ": label " + std::to_string(labels.values[i]) + " of item " +
                             std::to_string(i) + " is not below " + std::to_string(classes));
        set.labels[i] = labels.values[i];
    }
    return set;
}

normalization measure_normalization(const image_set& set) {
    double sum = 0, sum_squares = 0;
    for (std::uint8_t p : set.pixels) {
        const double v = p / 255.0;
        sum += v;
        sum_squares += v * v;
    }
    const double n = std::max<double>(1, double(set.pixels.size()));
    const double mean = sum / n;
    return {float(mean), float(std::sqrt(std::max(1e-12, sum_squares / n - mean * mean)))};
}

std::vector<std::uint32_t> shuffled_order(std::size_t n, std::uint64_t seed, std::uint64_t epoch) {
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    random_stream random(seed, 0x5eed0000ULL + epoch);
    for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[random.below(i)]);  // Fisher-Yates
    return order;
}

namespace {

// Draws exactly augmentation::erase_draws numbers whatever it does. The
// rectangle's sides come from its area and aspect and are clipped to the
// image, where Zhong et al. draw again until it fits (a count of draws
// that varies): here the largest areas at the most lopsided aspects come
// out a little smaller instead.
void erase_random_rectangle(double probability, int c, int h, int w, float scale, float shift,
                            random_stream& random, float* image) {
    const bool erase = random.uniform() < probability;
    const double area = random.uniform(0.02, 0.4) * h * w;
    const double aspect = std::exp(random.uniform(std::log(0.3), std::log(1 / 0.3)));
    const int eh = std::clamp(int(std::lround(std::sqrt(area * aspect))), 1, h);
    const int ew = std::clamp(int(std::lround(std::sqrt(area / aspect))), 1, w);
    const int top = int(random.below(std::uint64_t(h - eh + 1)));
    const int left = int(random.below(std::uint64_t(w - ew + 1)));
    random_stream fill(random.next());
    if (!erase) return;
    for (int ch = 0; ch < c; ++ch)
        for (int y = top; y < top + eh; ++y)
            for (int x = left; x < left + ew; ++x) image[(ch * h + y) * w + x] = float(fill.below(256)) * scale + shift;
}

}  // namespace

void fill_batch(const image_set& set, std::span<const std::uint32_t> indices, normalization norm,
                const augmentation& augment, random_stream& random, std::span<float> images,
                std::span<std::int32_t> labels) {
    const int c = set.shape.c, h = set.shape.h, w = set.shape.w;
    const std::size_t image_size = set.shape.size();
    const float scale = 1.0f / (255.0f * norm.stddev), shift = -norm.mean / norm.stddev;
    const float background = shift;  // a zero pixel, normalized: what padding adds
    for (std::size_t b = 0; b < indices.size(); ++b) {
        const std::uint8_t* in = set.pixels.data() + std::size_t(indices[b]) * image_size;
        float* out = images.data() + b * image_size;
        labels[b] = set.labels[indices[b]];
        const int p = augment.crop_padding;
        const int dy = p ? int(random.below(2 * p + 1)) - p : 0, dx = p ? int(random.below(2 * p + 1)) - p : 0;
        const bool flip = augment.horizontal_flip && random.uniform() < 0.5;
        for (int ch = 0; ch < c; ++ch)
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) {
                    const int sy = y + dy, sx0 = x + dx, sx = flip ? w - 1 - sx0 : sx0;
                    const bool inside = sy >= 0 && sy < h && sx0 >= 0 && sx0 < w;
                    out[(ch * h + y) * w + x] = inside ? in[(ch * h + sy) * w + sx] * scale + shift : background;
                }
        if (augment.erase_probability > 0)
            erase_random_rectangle(augment.erase_probability, c, h, w, scale, shift, random, out);
    }
}

}  // namespace typenet
