// A line chart as a PNG: axes with ticks, one colored line per series, a
// legend; the y axis linear or logarithmic (for values spanning decades,
// like activations that vanish or explode).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "picture.hpp"

namespace samples {

struct series {
    std::string name;
    std::vector<double> x, y;  // a non-finite or (on a log axis) non-positive y breaks the line
};

struct line_chart {
    std::string title, x_label, y_label;
    bool log_y = false;
    std::vector<series> lines;

    picture render(int width = 800, int height = 500) const;
    void save(const std::filesystem::path& path, int width = 800, int height = 500) const {
        render(width, height).save_png(path);
    }
};

// The color the chart gives its n-th line.
rgb series_color(std::size_t n);

}  // namespace samples
