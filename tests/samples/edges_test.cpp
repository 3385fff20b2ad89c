// samples/edges: the generated filters against a naive convolution written
// here, tile stitching on an image larger than a tile, the PNGs' sizes and
// gray levels at known pixels of the shipped step-edge image; the image
// reader's limits, luma and fuzz inputs.
#include <catch2/catch.hpp>
#include <stb_image_write.h>
#include <zlib.h>

#include <cmath>
#include <fstream>
#include <random>

#include "../../fuzz/harnesses.hpp"
#include "../runtime/fuzz_inputs.hpp"
#include "../runtime/temp_dir.hpp"
#include "edges/edge_maps.hpp"

using samples::edge_map;
using samples::gray_image;

namespace {
// The lesson's matrices, written out again here: the reference must not share the code under test.
constexpr float sobel_x[3][3] = {{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}};
constexpr float sobel_y[3][3] = {{1, 2, 1}, {0, 0, 0}, {-1, -2, -1}};
constexpr float laplacian[3][3] = {{0, 1, 0}, {1, -4, 1}, {0, 1, 0}};

// Cross-correlation as PyTorch's conv2d computes it, zero padding `pad`.
std::vector<double> naive(const gray_image& g, const float (&k)[3][3], int pad) {
    const int ow = g.width + 2 * pad - 2, oh = g.height + 2 * pad - 2;
    std::vector<double> out(std::size_t(ow) * std::size_t(oh));
    for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x) {
            double s = 0;
            for (int ky = 0; ky < 3; ++ky)
                for (int kx = 0; kx < 3; ++kx) {
                    const int ix = x + kx - pad, iy = y + ky - pad;
                    if (ix >= 0 && iy >= 0 && ix < g.width && iy < g.height) s += k[ky][kx] * double(g.at(ix, iy));
                }
            out[std::size_t(y) * std::size_t(ow) + std::size_t(x)] = s;
        }
    return out;
}

void check_against_naive(const gray_image& g, bool pad) {
    const auto maps = samples::edge_maps(g, pad);
    REQUIRE(maps.size() == 4);
    const int p = pad ? 1 : 0;
    const auto gx = naive(g, sobel_x, p), gy = naive(g, sobel_y, p), lap = naive(g, laplacian, p);
    const std::vector<double>* expected[] = {&gx, &gy, &lap};
    const char* names[] = {"sobel_x", "sobel_y", "laplacian", "magnitude"};
    for (int m = 0; m < 4; ++m) {
        CHECK(maps[m].name == names[m]);
        CHECK(maps[m].width == g.width + 2 * p - 2);
        CHECK(maps[m].height == g.height + 2 * p - 2);
        for (std::size_t i = 0; i < maps[m].values.size(); ++i) {
            const double want = m < 3 ? (*expected[m])[i] : std::hypot(gx[i], gy[i]);
            INFO(names[m] << " pixel " << i);
            REQUIRE(maps[m].values[i] == Approx(want).margin(1e-5));
        }
    }
}

gray_image noise(int w, int h, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0, 1);
    gray_image g{w, h, std::vector<float>(std::size_t(w) * std::size_t(h))};
    for (float& v : g.values) v = u(rng);
    return g;
}
}  // namespace

TEST_CASE("edge maps equal a naive convolution, across tile seams, padded or not", "[edges]") {
    check_against_naive(noise(150, 97, 3), false);  // 3 x 2 tiles, the last ones partial
    check_against_naive(noise(150, 97, 4), true);
    check_against_naive(noise(3, 3, 5), false);     // a single output pixel
}

TEST_CASE("the shipped step edge: sobel_x bright only along the edge, sobel_y dark everywhere", "[edges]") {
    const gray_image g = samples::load_gray(TYPENET_SAMPLES_DIR "/edges/step_edge.png");
    REQUIRE(g.width == 48);
    REQUIRE(g.height == 32);
    CHECK(g.at(23, 10) == 0.0f);
    CHECK(g.at(24, 10) == 1.0f);

    temp_dir dir;
    const auto written = samples::write_edge_pngs(samples::edge_maps(g, false), dir.path);
    REQUIRE(written.size() == 4);
    for (const auto& path : written) {
        const gray_image png = samples::load_gray(path);  // opens as a PNG, of the unpadded size
        CHECK(png.width == 46);
        CHECK(png.height == 30);
    }
    const gray_image sx = samples::load_gray(dir / "sobel_x.png"), sy = samples::load_gray(dir / "sobel_y.png"),
                     lap = samples::load_gray(dir / "laplacian.png");
    for (int y = 0; y < 30; ++y)
        for (int x = 0; x < 46; ++x) {
            INFO("x " << x << " y " << y);
            // Output column x sees input columns x..x+2: the step lies inside for x = 22, 23 (response 4: white).
            const bool on_edge = x == 22 || x == 23;
            REQUIRE(sx.at(x, y) == (on_edge ? 1.0f : 0.0f));
            REQUIRE(sy.at(x, y) == 0.0f);
            // Laplacian there: +1 and -1, |1| / 4 of full scale -> level 64.
            REQUIRE(lap.at(x, y) == Approx(on_edge ? 64 / 255.0 : 0.0));
        }
}

TEST_CASE("the padded maps keep the image's size", "[edges]") {
    const auto maps = samples::edge_maps(noise(20, 11, 6), true);
    CHECK(maps[0].width == 20);
    CHECK(maps[0].height == 11);
}

TEST_CASE("an unreadable or too small image gets a clear error", "[edges]") {
    temp_dir dir;
    std::ofstream(dir / "not.png") << "plain text";
    CHECK_THROWS_WITH(samples::load_gray(dir / "not.png"), Catch::Contains("not.png: is neither a PNG nor a JPEG"));
    CHECK_THROWS_WITH(samples::load_gray(dir / "missing.png"), Catch::Contains("missing.png"));
    CHECK_THROWS_WITH(samples::edge_maps(noise(2, 5, 1), false), Catch::Contains("needs at least 3x3"));
    CHECK_NOTHROW(samples::edge_maps(noise(2, 5, 1), true));
}

namespace {
// A PNG of a header and no pixels: IHDR declaring width x height 8-bit gray,
// an IDAT of bytes that are not compressed data, IEND.
std::string png_header_only(std::uint32_t width, std::uint32_t height) {
    const auto be32 = [](std::uint32_t v) {
        return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
    };
    const auto chunk = [&](const std::string& type, const std::string& data) {
        const std::string body = type + data;
        const auto crc = crc32(0, reinterpret_cast<const Bytef*>(body.data()), uInt(body.size()));
        return be32(std::uint32_t(data.size())) + body + be32(std::uint32_t(crc));
    };
    return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", be32(width) + be32(height) + std::string("\x08\0\0\0\0", 5)) +
           chunk("IDAT", "not pixels") + chunk("IEND", "");
}
}  // namespace

TEST_CASE("an image's declared size is checked against the pixel limit before decoding", "[edges]") {
    temp_dir dir;
    std::ofstream(dir / "huge.png", std::ios::binary) << png_header_only(20000, 20000);
    CHECK_THROWS_WITH(samples::load_gray(dir / "huge.png"),
                      Catch::Contains("huge.png: declares an image of 20000 x 20000 pixels, more than the limit of 64 "
                                      "megapixels; raise it (--max-megapixels)"));
    // Under a raised limit the header passes, and the missing pixel data is the fault.
    CHECK_THROWS_WITH(samples::load_gray(dir / "huge.png", 500), Catch::Contains("huge.png: is a damaged PNG"));
}

TEST_CASE("color becomes luma: (77 R + 150 G + 29 B) / 256 for PNG, Y for JPEG", "[edges]") {
    temp_dir dir;
    const unsigned char rgb[] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 200, 100, 50};
    REQUIRE(stbi_write_png((dir / "rgb.png").c_str(), 4, 1, 3, rgb, 12));
    const gray_image png = samples::load_gray(dir / "rgb.png");
    REQUIRE(png.width == 4);
    CHECK(png.values[0] == Approx(76 / 255.0));                            // 77 * 255 >> 8
    CHECK(png.values[1] == Approx(149 / 255.0));                           // 150 * 255 >> 8
    CHECK(png.values[2] == Approx(28 / 255.0));                            // 29 * 255 >> 8
    CHECK(png.values[3] == Approx(((77 * 200 + 150 * 100 + 29 * 50) >> 8) / 255.0));
    std::vector<unsigned char> flat(64 * 64, 180);
    REQUIRE(stbi_write_jpg((dir / "flat.jpg").c_str(), 64, 64, 1, flat.data(), 100));
    const gray_image jpg = samples::load_gray(dir / "flat.jpg");
    REQUIRE(jpg.width == 64);
    CHECK(jpg.at(10, 20) == Approx(180 / 255.0).margin(1.5 / 255));  // a flat JPEG decodes within a level
    // Cut inside its pixel data, libjpeg would warn and decode on with gray
    // filler: refused instead. (Noise, so that the pixel data is most of the file.)
    std::vector<unsigned char> noisy(64 * 64);
    for (std::size_t i = 0; i < noisy.size(); ++i) noisy[i] = static_cast<unsigned char>(i * 7919 % 251);
    REQUIRE(stbi_write_jpg((dir / "noisy.jpg").c_str(), 64, 64, 1, noisy.data(), 90));
    std::ifstream in(dir / "noisy.jpg", std::ios::binary);
    std::string bytes(std::istreambuf_iterator<char>(in), {});
    std::ofstream(dir / "cut.jpg", std::ios::binary) << bytes.substr(0, bytes.size() * 3 / 4);
    CHECK_THROWS_WITH(samples::load_gray(dir / "cut.jpg"), Catch::Contains("cut.jpg: is a damaged JPEG"));
}

TEST_CASE("the image reader's fuzz findings and seeds replay cleanly", "[edges][fuzz]") {
    const auto inputs = fuzz_inputs("image_reader");
    CHECK(inputs.size() >= 5);
    for (const auto& [path, bytes] : inputs) {
        INFO(path.string());
        typenet::fuzz::image_reader(bytes);
    }
}
