// IDX files (plain and gzip) good and damaged, MNIST-format sets, batches.
#include <catch2/catch.hpp>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <typenet/dataset.hpp>

#include "temp_dir.hpp"

using namespace typenet;

namespace {
std::vector<unsigned char> idx_bytes(std::vector<std::uint32_t> dims, const std::vector<unsigned char>& values) {
    std::vector<unsigned char> out{0, 0, 0x08, static_cast<unsigned char>(dims.size())};
    for (std::uint32_t d : dims)
        for (int shift : {24, 16, 8, 0}) out.push_back(static_cast<unsigned char>(d >> shift));
    out.insert(out.end(), values.begin(), values.end());
    return out;
}
void write_plain(const std::filesystem::path& p, const std::vector<unsigned char>& bytes) {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}
void write_gz(const std::filesystem::path& p, const std::vector<unsigned char>& bytes) {
    gzFile f = gzopen(p.c_str(), "wb");
    REQUIRE(f);
    REQUIRE(gzwrite(f, bytes.data(), unsigned(bytes.size())) == int(bytes.size()));
    gzclose(f);
}
std::vector<unsigned char> pattern(std::size_t n) {
    std::vector<unsigned char> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<unsigned char>((i * 37 + 11) % 256);
    return v;
}
// 3 images of 2x4 and their labels.
void write_set(const temp_dir& dir, const std::string& prefix, bool gz) {
    const auto images = idx_bytes({3, 2, 4}, pattern(24)), labels = idx_bytes({3}, {7, 0, 9});
    (gz ? write_gz : write_plain)(dir / (prefix + "-images-idx3-ubyte" + (gz ? ".gz" : "")), images);
    (gz ? write_gz : write_plain)(dir / (prefix + "-labels-idx1-ubyte" + (gz ? ".gz" : "")), labels);
}
}  // namespace

TEST_CASE("an IDX file reads the same plain and gzip-compressed", "[idx]") {
    temp_dir dir;
    const auto bytes = idx_bytes({5, 3, 2}, pattern(30));
    write_plain(dir / "a.idx", bytes);
    write_gz(dir / "a.idx.gz", bytes);
    for (const char* name : {"a.idx", "a.idx.gz"}) {
        const idx_array a = read_idx(dir / name);
        CHECK(a.dims == std::vector<std::uint32_t>{5, 3, 2});
        CHECK(a.values == pattern(30));
    }
}

TEST_CASE("a damaged IDX file is refused, naming the file and the fault", "[idx]") {
    temp_dir dir;
    const auto good = idx_bytes({4, 2, 2}, pattern(16));
    const auto check = [&](std::vector<unsigned char> bytes, const std::string& message, bool gz = false) {
        const auto path = dir / (gz ? "bad.gz" : "bad");
        (gz ? write_gz : write_plain)(path, bytes);
        CHECK_THROWS_WITH(read_idx(path), Catch::Contains(path.string()) && Catch::Contains(message));
    };
    SECTION("truncated data") { check({good.begin(), good.end() - 3}, "is truncated: its header declares 16 bytes of data but it holds 13"); }
    SECTION("truncated data, compressed") { check({good.begin(), good.end() - 1}, "is truncated", true); }
    SECTION("extra data") {
        auto more = good;
        more.push_back(1);
        check(more, "more data than its header declares");
    }
    SECTION("bad magic") {
        auto bad = good;
        bad[0] = 0x1f;
        check(bad, "not an IDX file");
    }
    SECTION("a type other than bytes") {
        auto bad = good;
        bad[2] = 0x0d;
        check(bad, "only unsigned bytes");
    }
    SECTION("header cut short") { check({good.begin(), good.begin() + 9}, "ends inside its header (dimension 2 of 3)"); }
    SECTION("empty") { check({}, "too short"); }
    SECTION("zero dimension") { check(idx_bytes({0, 2}, {}), "a dimension of size 0"); }
    SECTION("damaged compression") {
        write_gz(dir / "x.gz", good);
        std::fstream f(dir / "x.gz", std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(12);
        f.write("\xff\xff\xff\xff\xff\xff", 6);
        f.close();
        CHECK_THROWS_WITH(read_idx(dir / "x.gz"), Catch::Contains("x.gz"));
    }
    SECTION("missing") { CHECK_THROWS_WITH(read_idx(dir / "none"), Catch::Contains("none: no such file")); }
}

TEST_CASE("an IDX header cannot make the reader allocate what the file does not hold", "[idx]") {
    temp_dir dir;
    // 2 x 2^16 x 2^16 bytes (8 GiB) declared, 20 held.
    auto claims = idx_bytes({2, 65536, 65536}, pattern(20));
    write_plain(dir / "claims", claims);
    CHECK_THROWS_WITH(read_idx(dir / "claims"), Catch::Contains("claims: is truncated: its header declares 8589934592 "
                                                                "bytes of data but it holds 20"));
    write_gz(dir / "claims.gz", claims);
    CHECK_THROWS_WITH(read_idx(dir / "claims.gz"), Catch::Contains("claims.gz: is truncated"));
    // 8 MB of zeros compress to a few KB: past 64 times the file, it is refused.
    auto bomb = idx_bytes({8, 1024, 1024}, {});
    bomb.resize(bomb.size() + (8u << 20), 0);
    write_gz(dir / "bomb.gz", bomb);
    CHECK_THROWS_WITH(read_idx(dir / "bomb.gz"), Catch::Contains("bomb.gz: expands to more than 64 times its "
                                                                 "compressed size") &&
                                                     Catch::Contains("gunzip it"));
}

TEST_CASE("an MNIST-format set loads from .gz or plain files", "[data]") {
    for (bool gz : {true, false}) {
        temp_dir dir;
        write_set(dir, "train", gz);
        const image_set s = load_mnist_format(dir.path, "train");
        CHECK(s.size() == 3);
        CHECK(s.shape == typenet::dsl::tensor_shape{1, 2, 4});
        CHECK(s.labels == std::vector<std::int32_t>{7, 0, 9});
        CHECK(s.pixels == pattern(24));
    }
}

TEST_CASE("a missing or inconsistent set says which file and how to get the data", "[data]") {
    temp_dir dir;
    CHECK_THROWS_WITH(load_mnist_format(dir.path, "t10k"),
                      Catch::Contains("t10k-images-idx3-ubyte.gz: no such file") &&
                          Catch::Contains("apt-get install dataset-fashion-mnist"));
    write_plain(dir / "t10k-images-idx3-ubyte", idx_bytes({3, 2, 4}, pattern(24)));
    write_plain(dir / "t10k-labels-idx1-ubyte", idx_bytes({2}, {1, 2}));
    CHECK_THROWS_WITH(load_mnist_format(dir.path, "t10k"), Catch::Contains("holds 3 images but") && Catch::Contains("holds 2 labels"));
    write_plain(dir / "t10k-labels-idx1-ubyte", idx_bytes({3}, {1, 2, 10}));
    CHECK_THROWS_WITH(load_mnist_format(dir.path, "t10k"), Catch::Contains("label 10 of item 2 is not below 10"));
}

TEST_CASE("shuffled orders are seeded permutations", "[data]") {
    const auto a = shuffled_order(1000, 5, 0);
    CHECK(std::set<std::uint32_t>(a.begin(), a.end()).size() == 1000);
    CHECK(*std::max_element(a.begin(), a.end()) == 999);
    CHECK(a == shuffled_order(1000, 5, 0));
    CHECK(a != shuffled_order(1000, 5, 1));
    CHECK(a != shuffled_order(1000, 6, 0));
    std::vector<std::uint32_t> identity(1000);
    std::iota(identity.begin(), identity.end(), 0u);
    CHECK(a != identity);
}

TEST_CASE("batches are normalized, and augmentation crops and flips", "[data]") {
    image_set s;
    s.shape = {1, 2, 3};
    s.pixels = {0, 51, 102, 153, 204, 255, 10, 20, 30, 40, 50, 60};
    s.labels = {4, 6};
    s.classes = 10;
    const normalization norm{0.5f, 0.25f};
    std::vector<float> images(12);
    std::vector<std::int32_t> labels(2);
    random_stream random(1);
    const std::vector<std::uint32_t> order{1, 0};
    fill_batch(s, order, norm, {}, random, images, labels);
    CHECK(labels == std::vector<std::int32_t>{6, 4});
    CHECK(images[6] == Approx((0 / 255.0 - 0.5) / 0.25));
    CHECK(images[8] == Approx((102 / 255.0 - 0.5) / 0.25));
    CHECK(images[0] == Approx((10 / 255.0 - 0.5) / 0.25));

    SECTION("flip mirrors rows") {
        std::vector<std::uint32_t> one{0};
        int flipped = 0;
        for (int trial = 0; trial < 40; ++trial) {
            fill_batch(s, one, {0, 1}, {0, true}, random, std::span(images).first(6), std::span(labels).first(1));
            const bool mirrored = images[0] == Approx(102 / 255.0) && images[2] == Approx(0.0);
            CHECK((mirrored || images[0] == Approx(0.0)));
            flipped += mirrored;
        }
        CHECK(flipped > 5);
        CHECK(flipped < 35);
    }
    SECTION("crops shift by at most the padding and fill with background") {
        std::vector<std::uint32_t> one{0};
        bool shifted = false;
        for (int trial = 0; trial < 40; ++trial) {
            fill_batch(s, one, {0, 1}, {1, false}, random, std::span(images).first(6), std::span(labels).first(1));
            // every value is a pixel of the image or the zero background
            for (int i = 0; i < 6; ++i) {
                const float v = images[i] * 255.0f;
                CHECK(std::any_of(s.pixels.begin(), s.pixels.begin() + 6, [&](int p) { return std::abs(p - v) < 1e-3; }));
            }
            shifted |= images[4] * 255.0f != Approx(204.0f);
        }
        CHECK(shifted);
    }
    SECTION("erasing turns one rectangle of 2-40% of the image into pixel values, and draws a fixed count") {
        image_set grey;
        grey.shape = {1, 10, 10};
        grey.pixels.assign(100, 128);
        grey.labels = {3};
        grey.classes = 10;
        std::vector<float> image(100);
        std::vector<std::int32_t> label(1);
        const std::vector<std::uint32_t> one{0};
        const augmentation erase_half{0, false, 0.5};
        int erased = 0;
        double area_sum = 0;
        for (int trial = 0; trial < 200; ++trial) {
            random_stream after = random;
            after.skip(std::uint64_t(erase_half.draws_per_image()));
            fill_batch(grey, one, {0, 1}, erase_half, random, image, label);
            CHECK(random.next() == after.next());  // a rank skips to its share by this count
            int top = 10, bottom = -1, left = 10, right = -1;
            for (int y = 0; y < 10; ++y)
                for (int x = 0; x < 10; ++x) {
                    const float v = image[std::size_t(y * 10 + x)] * 255.0f;
                    CHECK(std::abs(v - std::round(v)) < 1e-3);  // a pixel value, 0 to 255
                    CHECK((v > -1e-3 && v < 255.001f));
                    if (std::abs(v - 128.0f) > 1e-3)
                        top = std::min(top, y), bottom = std::max(bottom, y), left = std::min(left, x),
                        right = std::max(right, x);
                }
            if (bottom < 0) continue;
            ++erased;
            const int area = (bottom - top + 1) * (right - left + 1);
            area_sum += area;
            // at most 40% of 100 pixels, plus the rounding of each side (half a pixel) at aspect 0.3
            CHECK(area <= 48);
        }
        CHECK(erased > 70);
        CHECK(erased < 130);
        // areas uniform in 2-40% average 21 pixels; rounding and clipping move that by a few
        CHECK(area_sum / erased > 14);
        CHECK(area_sum / erased < 28);
    }
    CHECK(measure_normalization(s).mean == Approx((0 + 51 + 102 + 153 + 204 + 255 + 10 + 20 + 30 + 40 + 50 + 60) / 12.0 / 255.0));
}
