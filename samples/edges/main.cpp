// Channels and kernels (the lesson's first question): runs Sobel-X, Sobel-Y
// and the Laplacian, a network of fixed 3x3 filters, over an image and
// writes each output channel as a PNG.
//
//   edges INPUT OUTDIR [--pad] [--sheet sheet.png]
//
// Gray levels: 255 * min(1, |response| / bound), bound the filter's largest
// possible response (4 for each filter, 4*sqrt(2) for the magnitude): edges
// are bright whichever way they step, flat regions black.
#include <CLI/CLI.hpp>
#include <iostream>

#include "edge_maps.hpp"
#include "edge_net.hpp"

int main(int argc, char** argv) {
    std::string input, out_dir, sheet;
    bool pad = false;
    CLI::App app{"Sobel-X, Sobel-Y, Laplacian and gradient magnitude of an image, as PNGs"};
    app.add_option("INPUT", input, "a PNG or JPEG image (converted to gray)")->required();
    app.add_option("OUTDIR", out_dir, "folder for sobel_x.png, sobel_y.png, laplacian.png, magnitude.png")->required();
    app.add_flag("--pad", pad, "pad the image with one zero pixel a side: outputs keep its size (else (W-2)x(H-2))");
    app.add_option("--sheet", sheet, "also write the input and every channel side by side into this PNG");
    CLI11_PARSE(app, argc, argv);
    try {
        const samples::gray_image image = samples::load_gray(input);
        const auto maps = samples::edge_maps(image, pad);
        std::cout << "network: " << typenet::dsl::shape_trace(samples::edge_net) << " per "
                  << samples::edge_tile + 2 << "x" << samples::edge_tile + 2 << " tile\n"
                  << "input: " << input << ", " << image.width << "x" << image.height << " (gray)\n";
        for (const auto& path : samples::write_edge_pngs(maps, out_dir))
            std::cout << "wrote " << path.string() << " (" << maps[0].width << "x" << maps[0].height << ")\n";
        if (!sheet.empty()) {
            samples::write_contact_sheet(image, maps, sheet);
            std::cout << "wrote " << sheet << "\n";
        }
    } catch (const std::exception& e) {
        std::cerr << "edges: " << e.what() << "\n";
        return 1;
    }
}
