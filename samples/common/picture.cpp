#include "picture.hpp"

#include <stb_easy_font.h>
#include <stb_image_write.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace samples {

void write_file_atomically(const std::filesystem::path& path, const std::vector<unsigned char>& bytes) {
    const std::filesystem::path temp = path.string() + ".tmp-" + std::to_string(::getpid());
    std::FILE* f = std::fopen(temp.c_str(), "wb");
    if (!f) throw std::system_error(errno, std::generic_category(), "cannot create " + temp.string());
    const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    const bool flushed = std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
    const bool closed = std::fclose(f) == 0;
    if (!written || !flushed || !closed) {
        const int error = errno;
        std::filesystem::remove(temp);
        throw std::system_error(error, std::generic_category(), "cannot write " + path.string());
    }
    std::filesystem::rename(temp, path);
}

namespace {
std::vector<unsigned char> encode_png(int w, int h, int channels, const unsigned char* data) {
    std::vector<unsigned char> out;
    const auto append = [](void* context, void* bytes, int size) {
        auto* v = static_cast<std::vector<unsigned char>*>(context);
        v->insert(v->end(), static_cast<unsigned char*>(bytes), static_cast<unsigned char*>(bytes) + size);
    };
    if (!stbi_write_png_to_func(append, &out, w, h, channels, data, w * channels))
        throw std::runtime_error("cannot encode a PNG of " + std::to_string(w) + "x" + std::to_string(h));
    return out;
}
}  // namespace

void save_gray_png(const std::filesystem::path& path, int width, int height, const std::vector<unsigned char>& levels) {
    write_file_atomically(path, encode_png(width, height, 1, levels.data()));
}

picture::picture(int width, int height, rgb background)
    : width_(width), height_(height), pixels_(std::size_t(width) * std::size_t(height) * 3) {
    fill_rect(0, 0, width, height, background);
}

rgb picture::at(int x, int y) const {
    const unsigned char* p = &pixels_[(std::size_t(y) * std::size_t(width_) + std::size_t(x)) * 3];
    return {p[0], p[1], p[2]};
}

void picture::set(int x, int y, rgb c) {
    if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
    unsigned char* p = &pixels_[(std::size_t(y) * std::size_t(width_) + std::size_t(x)) * 3];
    p[0] = c.r, p[1] = c.g, p[2] = c.b;
}

void picture::fill_rect(int x, int y, int w, int h, rgb c) {
    for (int j = std::max(0, y); j < std::min(height_, y + h); ++j)
        for (int i = std::max(0, x); i < std::min(width_, x + w); ++i) set(i, j, c);
}

void picture::line(double x0, double y0, double x1, double y1, rgb c, int thickness) {
    const int steps = int(std::ceil(std::max(std::abs(x1 - x0), std::abs(y1 - y0)))) + 1;
    for (int s = 0; s <= steps; ++s) {
        const double t = double(s) / steps;
        const int x = int(std::lround(x0 + (x1 - x0) * t)), y = int(std::lround(y0 + (y1 - y0) * t));
        fill_rect(x - thickness / 2, y - thickness / 2, thickness, thickness, c);
    }
}

void picture::text(int x, int y, const std::string& s, rgb c, int scale) {
    // stb_easy_font emits quads of 4 vertices (x, y, z, color) in font pixels.
    static char buffer[60000];
    std::string copy = s;
    unsigned char color[4] = {c.r, c.g, c.b, 255};
    const int quads = stb_easy_font_print(0, 0, copy.data(), color, buffer, sizeof buffer);
    const auto* v = reinterpret_cast<const float*>(buffer);
    for (int q = 0; q < quads; ++q, v += 16) {
        const float x0 = v[0], y0 = v[1], x1 = v[8], y1 = v[9];  // opposite corners
        fill_rect(x + int(x0) * scale, y + int(y0) * scale, int(x1 - x0) * scale, int(y1 - y0) * scale, c);
    }
}

int picture::text_width(const std::string& s, int scale) {
    std::string copy = s;
    return stb_easy_font_width(copy.data()) * scale;
}

void picture::draw_gray(int x, int y, int w, int h, const std::vector<unsigned char>& levels) {
    for (int j = 0; j < h; ++j)
        for (int i = 0; i < w; ++i) {
            const unsigned char g = levels[std::size_t(j) * std::size_t(w) + std::size_t(i)];
            set(x + i, y + j, {g, g, g});
        }
}

void picture::draw(const picture& other, int x, int y) {
    for (int j = 0; j < other.height(); ++j)
        for (int i = 0; i < other.width(); ++i) set(x + i, y + j, other.at(i, j));
}

void picture::save_png(const std::filesystem::path& path) const {
    write_file_atomically(path, encode_png(width_, height_, 3, pixels_.data()));
}

}  // namespace samples
