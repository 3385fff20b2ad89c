// Draws the test image shipped beside this file (step_edge.png): 48x32,
// black left of column 24, white from it on, so the only edge is vertical.
//   draw_test_image step_edge.png
#include <iostream>

#include "../common/picture.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: draw_test_image OUT.png\n";
        return 2;
    }
    constexpr int width = 48, height = 32, edge = 24;
    std::vector<unsigned char> levels(width * height);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) levels[y * width + x] = x < edge ? 0 : 255;
    samples::save_gray_png(argv[1], width, height, levels);
}
