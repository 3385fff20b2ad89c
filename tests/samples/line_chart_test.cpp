// The samples' line chart: a PNG of the asked size whose lines are where the
// data puts them.
#include <catch2/catch.hpp>

#include "../runtime/temp_dir.hpp"
#include "common/line_chart.hpp"

TEST_CASE("a line chart draws each series in its color and writes a PNG", "[chart]") {
    samples::line_chart c{"t", "x", "y", false, {}};
    c.lines.push_back({"flat", {0, 1, 2}, {1, 1, 1}});
    c.lines.push_back({"rising", {0, 1, 2}, {0, 1, 2}});
    const samples::picture p = c.render(400, 300);
    CHECK(p.width() == 400);
    CHECK(p.height() == 300);
    // Plot area: x from 80 to 230 (400 - 80 - 170 wide), y from 48 to 250.
    // The flat line (y = 1, the middle of 0..2) runs across the middle.
    const samples::rgb flat = samples::series_color(0), rising = samples::series_color(1);
    const auto same = [](samples::rgb a, samples::rgb b) { return a.r == b.r && a.g == b.g && a.b == b.b; };
    int flat_pixels = 0, rising_pixels = 0;
    for (int x = 90; x < 220; ++x) flat_pixels += same(p.at(x, 149), flat) || same(p.at(x, 148), flat);
    CHECK(flat_pixels > 100);
    // The rising line passes the plot's bottom-left and top-right corners.
    for (int d = -3; d <= 3; ++d) rising_pixels += same(p.at(80 + 2, 250 - 2 + d), rising);
    CHECK(rising_pixels > 0);

    temp_dir dir;
    c.save(dir / "c.png", 400, 300);
    CHECK(std::filesystem::file_size(dir / "c.png") > 1000);
}

TEST_CASE("a log axis skips values it cannot show", "[chart]") {
    samples::line_chart c{"t", "x", "y", true, {}};
    c.lines.push_back({"s", {1, 2, 3}, {1e-3, 0, 1e3}});
    CHECK_NOTHROW(c.render(400, 300));
}
