// Small raster pictures for the samples: an RGB canvas with lines,
// rectangles and text (stb_easy_font), PNGs written with stb_image_write
// through a temporary file and a rename, so a failed write never leaves half
// a file. Images are read by image_reader.hpp.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "image_reader.hpp"

namespace samples {

// Writes gray levels (one byte a pixel) as an 8-bit gray PNG.
void save_gray_png(const std::filesystem::path& path, int width, int height, const std::vector<unsigned char>& levels);

struct rgb {
    unsigned char r = 0, g = 0, b = 0;
};

class picture {
public:
    picture(int width, int height, rgb background = {255, 255, 255});

    int width() const { return width_; }
    int height() const { return height_; }
    rgb at(int x, int y) const;

    void set(int x, int y, rgb color);  // ignores points outside
    void fill_rect(int x, int y, int w, int h, rgb color);
    void line(double x0, double y0, double x1, double y1, rgb color, int thickness = 1);
    // Text with its top-left corner at (x, y); each font pixel drawn scale x scale.
    void text(int x, int y, const std::string& s, rgb color, int scale = 1);
    static int text_width(const std::string& s, int scale = 1);
    // Gray levels (0-255) drawn with their top-left corner at (x, y).
    void draw_gray(int x, int y, int w, int h, const std::vector<unsigned char>& levels);
    // Another picture with its top-left corner at (x, y).
    void draw(const picture& other, int x, int y);

    void save_png(const std::filesystem::path& path) const;

private:
    int width_, height_;
    std::vector<unsigned char> pixels_;
};

// Writes `bytes` to `path` through a temporary file beside it and a rename.
void write_file_atomically(const std::filesystem::path& path, const std::vector<unsigned char>& bytes);

}  // namespace samples
