// Channels and kernels (the lesson's first question): runs Sobel-X, Sobel-Y
// and the Laplacian, a network of fixed 3x3 filters, over an image and
// writes each output channel as a PNG.
//
//   edges INPUT OUTDIR [--pad] [--sheet sheet.png] [--max-megapixels 64]
//
// Gray levels: 255 * min(1, |response| / bound), bound the filter's largest
// possible response (4 for each filter, 4*sqrt(2) for the magnitude): edges
// are bright whichever way they step, flat regions black.
#include <CLI/CLI.hpp>
#include <iostream>

#include "common/command_line.hpp"
#include "edge_maps.hpp"
#include "edge_net.hpp"

int main(int argc, char** argv) {
    std::string input, out_dir, sheet;
    bool pad = false;
    double megapixels = samples::default_megapixels;
    CLI::App app{"Sobel-X, Sobel-Y, Laplacian and gradient magnitude of an image, as PNGs"};
    app.add_option("INPUT", input, "a PNG or JPEG image (converted to gray)")->required()->check(samples::existing_file());
    app.add_option("OUTDIR", out_dir, "folder for sobel_x.png, sobel_y.png, laplacian.png, magnitude.png")
        ->required()
        ->check(samples::folder_to_write());
    app.add_flag("--pad", pad, "pad the image with one zero pixel a side: outputs keep its size (else (W-2)x(H-2))");
    app.add_option("--sheet", sheet, "also write the input and every channel side by side into this PNG")
        ->check(samples::file_to_write(false));
    app.add_option("--max-megapixels", megapixels, "refuse larger images before decoding them")
        ->check(samples::real_number(0, false, 4096))
        ->capture_default_str();
    if (const auto done = samples::parse_command_line(app, argc, argv)) return *done;
    try {
        const samples::gray_image image = samples::load_gray(input, megapixels);
        const auto maps = samples::edge_maps(image, pad);
        std::cout << "network: " << typenet::dsl::shape_trace(samples::edge_net) << " per "
                  << samples::edge_tile + 2 << "x" << samples::edge_tile + 2 << " tile\n"
                  << "input: " << input << ", " << image.width << "x" << image.height << " (gray)\n";
        for (const auto& path : samples::write_edge_pngs(maps, out_dir))
            std::cout << "wrote " << path.string() << " (" << maps[0].width << "x" << maps[0].height << ")\n";
        if (!sheet.empty()) {
            if (const auto folder = std::filesystem::path(sheet).parent_path(); !folder.empty())
                std::filesystem::create_directories(folder);
            samples::write_contact_sheet(image, maps, sheet);
            std::cout << "wrote " << sheet << "\n";
        }
    } catch (const std::exception& e) {
        std::cerr << "edges: " << e.what() << "\n";
        return 1;
    }
}
