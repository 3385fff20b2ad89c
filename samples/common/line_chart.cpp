#include "line_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace samples {

rgb series_color(std::size_t n) {
    constexpr rgb palette[] = {{31, 119, 180}, {214, 39, 40},  {44, 160, 44},   {255, 127, 14},
                               {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {23, 190, 207}};
    return palette[n % std::size(palette)];
}

namespace {
std::string number(double v) {
    char s[32];
    if (v != 0 && (std::abs(v) >= 1e4 || std::abs(v) < 1e-2)) std::snprintf(s, sizeof s, "%.0e", v);
    else std::snprintf(s, sizeof s, "%.3g", v);
    return s;
}
// 1, 2 or 5 times a power of ten, at least `raw`.
double nice_step(double raw) {
    if (!(raw > 0)) return 1;
    const double decade = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * decade >= raw) return m * decade;
    return 10 * decade;
}
}  // namespace

picture line_chart::render(int width, int height) const {
    picture p(width, height);
    const rgb ink{40, 40, 40}, grid{225, 225, 225};
    const int left = 80, right = 170, top = 48, bottom = 50;
    const int plot_w = width - left - right, plot_h = height - top - bottom;

    const auto usable = [&](double y) { return std::isfinite(y) && (!log_y || y > 0); };
    double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min, y_min = x_min, y_max = -x_min;
    for (const series& s : lines)
        for (std::size_t i = 0; i < s.x.size(); ++i) {
            if (!usable(s.y[i])) continue;
            const double y = log_y ? std::log10(s.y[i]) : s.y[i];
            x_min = std::min(x_min, s.x[i]), x_max = std::max(x_max, s.x[i]);
            y_min = std::min(y_min, y), y_max = std::max(y_max, y);
        }
    if (!std::isfinite(x_min)) x_min = 0, x_max = 1, y_min = 0, y_max = 1;
    if (x_max == x_min) x_max = x_min + 1;
    if (log_y) y_min = std::floor(y_min), y_max = std::ceil(y_max);
    if (y_max == y_min) y_max = y_min + 1;
    const auto px = [&](double x) { return left + (x - x_min) / (x_max - x_min) * plot_w; };
    const auto py = [&](double y) { return top + plot_h - ((log_y ? std::log10(y) : y) - y_min) / (y_max - y_min) * plot_h; };

    // Grid and tick labels at round values: whole decades on a log axis.
    const auto ticks = [](double low, double high, bool whole) {
        double step = nice_step((high - low) / 6);
        if (whole) step = std::max(1.0, std::round(step));
        std::vector<double> at;
        for (double t = std::ceil(low / step) * step; t <= high + step * 1e-9; t += step) at.push_back(t);
        return at;
    };
    for (double f : ticks(y_min, y_max, log_y)) {
        const double value = log_y ? std::pow(10.0, f) : f;
        const int y = int(py(value));
        p.line(left, y, left + plot_w, y, grid);
        const std::string label = log_y ? "1e" + std::to_string(int(std::lround(f))) : number(value);
        p.text(left - 8 - picture::text_width(label), y - 4, label, ink);
    }
    for (double value : ticks(x_min, x_max, false)) {
        const int x = int(px(value));
        p.line(x, top, x, top + plot_h, grid);
        const std::string label = number(value);
        p.text(x - picture::text_width(label) / 2, top + plot_h + 8, label, ink);
    }
    p.line(left, top, left, top + plot_h, ink);
    p.line(left, top + plot_h, left + plot_w, top + plot_h, ink);
    p.text(left, 8, title, ink, 2);
    p.text(left + plot_w / 2 - picture::text_width(x_label) / 2, height - 22, x_label, ink);
    p.text(8, top - 12, y_label, ink);

    for (std::size_t n = 0; n < lines.size(); ++n) {
        const series& s = lines[n];
        const rgb color = series_color(n);
        for (std::size_t i = 0; i < s.x.size(); ++i) {
            if (!usable(s.y[i])) continue;
            p.fill_rect(int(px(s.x[i])) - 2, int(py(s.y[i])) - 2, 5, 5, color);
            if (i > 0 && usable(s.y[i - 1])) p.line(px(s.x[i - 1]), py(s.y[i - 1]), px(s.x[i]), py(s.y[i]), color, 2);
        }
        const int ly = top + 10 + int(n) * 18;
        p.fill_rect(left + plot_w + 14, ly, 16, 4, color);
        p.text(left + plot_w + 36, ly - 3, s.name, ink);
    }
    return p;
}

}  // namespace samples
