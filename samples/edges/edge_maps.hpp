// Edge maps of a gray image through the generated edge_net pipeline, and
// their conversion to gray levels:
//   level = round(255 * min(1, |value| / bound))
// where bound is the largest response a filter can give to pixels in
// [0, 1] (the sum of its positive weights: 4 for Sobel and the Laplacian;
// 4 * sqrt(2) for the gradient magnitude). Bright: a strong response of
// either sign; black: none.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "../common/picture.hpp"

namespace samples {

struct edge_map {
    std::string name;                 // "sobel_x", "sobel_y", "laplacian", "magnitude"
    int width = 0, height = 0;
    std::vector<float> values;        // filter responses, row after row
    float bound = 4;                  // the largest possible |value|
    std::vector<unsigned char> levels() const;
};

// Every filter of edge_net over `image`, then the gradient magnitude
// sqrt(sobel_x^2 + sobel_y^2). Unpadded: (W-2) x (H-2); padded with zeros:
// W x H. Throws std::invalid_argument for an image too small.
std::vector<edge_map> edge_maps(const gray_image& image, bool pad);

// Writes <name>.png for each map into `dir` (created if missing); returns the paths.
std::vector<std::filesystem::path> write_edge_pngs(const std::vector<edge_map>& maps, const std::filesystem::path& dir);

// One PNG: the input and each map side by side, each labelled.
void write_contact_sheet(const gray_image& image, const std::vector<edge_map>& maps, const std::filesystem::path& path);

}  // namespace samples
