// samples/edges: the generated filters against a naive convolution written
// here, tile stitching on an image larger than a tile, the PNGs' sizes and
// gray levels at known pixels of the shipped step-edge image.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <random>

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
    CHECK_THROWS_WITH(samples::load_gray(dir / "not.png"), Catch::Contains("not.png: cannot be read as an image"));
    CHECK_THROWS_WITH(samples::load_gray(dir / "missing.png"), Catch::Contains("missing.png"));
    CHECK_THROWS_WITH(samples::edge_maps(noise(2, 5, 1), false), Catch::Contains("needs at least 3x3"));
    CHECK_NOTHROW(samples::edge_maps(noise(2, 5, 1), true));
}
