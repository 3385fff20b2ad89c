// Runs the generated network on a vertical step edge and checks the result
// by hand: sobel_x of a 0 -> 1 step is 4 on the two columns beside the step
// and 0 elsewhere; the 1x1 conv then computes 2 * v + 1.
#include <cstdio>
#include <string>
#include <vector>

#include "edge_net_kernels.hpp"

int main() {
    std::vector<float> image(5 * 6);
    for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 6; ++x) image[y * 6 + x] = x >= 3 ? 1.f : 0.f;
    const std::vector<float> params = {2.f, 1.f};  // "1.weight", "1.bias"
    std::vector<float> out(3 * 4);
    edge_net_kernels::forward(image, 1, params, {}, out);
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 4; ++x) {
            const float expected = (x == 1 || x == 2) ? 9.f : 1.f;
            if (out[y * 4 + x] != expected) {
                std::printf("at (%d, %d): %g, expected %g\n", x, y, out[y * 4 + x], expected);
                return 1;
            }
        }
    std::printf("edge_net ran on %s\n", std::string(typenet::to_string(typenet::active_cpu_target())).c_str());
    return 0;
}
