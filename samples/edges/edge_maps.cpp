#include "edge_maps.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "edge_net_kernels.hpp"

namespace samples {

std::vector<unsigned char> edge_map::levels() const {
    std::vector<unsigned char> out(values.size());
    for (std::size_t i = 0; i < values.size(); ++i)
        out[i] = static_cast<unsigned char>(std::lround(255.0 * std::min(1.0, std::abs(double(values[i])) / bound)));
    return out;
}

std::vector<edge_map> edge_maps(const gray_image& source, bool pad) {
    using K = edge_net_kernels;
    constexpr int tile = edge_tile, span = edge_tile + 2, channels = K::output_shape.c;
    const int border = pad ? 1 : 0;
    const int in_w = source.width + 2 * border, in_h = source.height + 2 * border;
    const int out_w = in_w - 2, out_h = in_h - 2;
    if (out_w < 1 || out_h < 1)
        throw std::invalid_argument("the image is " + std::to_string(source.width) + "x" +
                                    std::to_string(source.height) + "; a 3x3 filter needs at least 3x3 (or --pad)");
    // The (possibly zero-padded) image, zero beyond its edges too: partial
    // tiles read zeros there, and those outputs are dropped.
    const auto pixel = [&](int x, int y) {
        x -= border, y -= border;
        return x >= 0 && y >= 0 && x < source.width && y < source.height ? source.at(x, y) : 0.0f;
    };

    const int tiles_x = (out_w + tile - 1) / tile, tiles_y = (out_h + tile - 1) / tile;
    std::vector<edge_map> maps;
    for (int c = 0; c < channels; ++c)
        maps.push_back({std::string(K::network_type::layer<0>::bank.filters[c].name_view()), out_w, out_h,
                        std::vector<float>(std::size_t(out_w) * std::size_t(out_h)), 4});
    constexpr int batch_limit = 256;  // tiles per call: bounded memory for any image size
    std::vector<float> in(std::size_t(batch_limit) * span * span), out(std::size_t(batch_limit) * channels * tile * tile);
    const int tiles = tiles_x * tiles_y;
    for (int first = 0; first < tiles; first += batch_limit) {
        const int batch = std::min(batch_limit, tiles - first);
        for (int b = 0; b < batch; ++b) {
            const int tx = (first + b) % tiles_x * tile, ty = (first + b) / tiles_x * tile;
            for (int y = 0; y < span; ++y)
                for (int x = 0; x < span; ++x) in[(std::size_t(b) * span + y) * span + x] = pixel(tx + x, ty + y);
        }
        K::forward(std::span(in).first(std::size_t(batch) * span * span), std::size_t(batch), {}, {},
                   std::span(out).first(std::size_t(batch) * channels * tile * tile));
        for (int b = 0; b < batch; ++b) {
            const int tx = (first + b) % tiles_x * tile, ty = (first + b) / tiles_x * tile;
            for (int c = 0; c < channels; ++c)
                for (int y = 0; y < tile && ty + y < out_h; ++y)
                    for (int x = 0; x < tile && tx + x < out_w; ++x)
                        maps[std::size_t(c)].values[std::size_t(ty + y) * std::size_t(out_w) + std::size_t(tx + x)] =
                            out[((std::size_t(b) * channels + c) * tile + y) * tile + x];
        }
    }
    edge_map magnitude{"magnitude", out_w, out_h, std::vector<float>(maps[0].values.size()), 4 * std::sqrt(2.0f)};
    for (std::size_t i = 0; i < magnitude.values.size(); ++i)
        magnitude.values[i] = std::hypot(maps[0].values[i], maps[1].values[i]);
    maps.push_back(std::move(magnitude));
    return maps;
}

std::vector<std::filesystem::path> write_edge_pngs(const std::vector<edge_map>& maps, const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    std::vector<std::filesystem::path> written;
    for (const edge_map& m : maps) {
        written.push_back(dir / (m.name + ".png"));
        save_gray_png(written.back(), m.width, m.height, m.levels());
    }
    return written;
}

void write_contact_sheet(const gray_image& image, const std::vector<edge_map>& maps, const std::filesystem::path& path) {
    const int gap = 12, label = 20;
    int width = gap + image.width + gap, height = label + std::max(image.height, 1) + gap;
    for (const edge_map& m : maps) width += m.width + gap, height = std::max(height, label + m.height + gap);
    picture sheet(width, height, {255, 255, 255});
    std::vector<unsigned char> input_levels(image.values.size());
    for (std::size_t i = 0; i < input_levels.size(); ++i)
        input_levels[i] = static_cast<unsigned char>(std::lround(255.0f * std::clamp(image.values[i], 0.0f, 1.0f)));
    int x = gap;
    const rgb ink{30, 30, 30}, frame{160, 160, 160};
    const auto panel = [&](const std::string& name, int w, int h, const std::vector<unsigned char>& levels) {
        sheet.text(x, 6, name, ink);
        sheet.fill_rect(x - 1, label - 1, w + 2, h + 2, frame);  // a frame, so white edges show
        sheet.draw_gray(x, label, w, h, levels);
        x += w + gap;
    };
    panel("input", image.width, image.height, input_levels);
    for (const edge_map& m : maps) panel(m.name, m.width, m.height, m.levels());
    sheet.save_png(path);
}

}  // namespace samples
