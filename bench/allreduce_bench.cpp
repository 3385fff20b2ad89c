// The time of one in-place allreduce (sum) of a float buffer over MPI's
// world: what a data-parallel step adds to the step itself.
//   mpirun -np 2 build-bench/bench/allreduce_bench [floats] [repeats]
// Prints "allreduce of N floats (B KB) on R ranks: median X us, min Y us".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <typenet/mpi_world.hpp>
#include <vector>

int main(int argc, char** argv) {
    typenet::communicator& ranks = typenet::mpi_world();
    const std::size_t floats = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 97'132;
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 200;
    std::vector<float> buffer(floats, 1.0f);
    std::vector<double> micros;
    for (int i = 0; i < repeats + 10; ++i) {
        float ready = 0;  // start together (a one-float sum), so no rank's wait is counted as the sum's
        ranks.sum(std::span(&ready, 1));
        const auto start = std::chrono::steady_clock::now();
        ranks.sum(buffer);
        const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
        if (i >= 10) micros.push_back(us);  // after 10 warm-up rounds
    }
    std::sort(micros.begin(), micros.end());
    if (ranks.is_root())
        std::printf("allreduce of %zu floats (%.0f KB) on %d ranks: median %.1f us, min %.1f us\n", floats,
                    double(floats) * 4 / 1000, ranks.size(), micros[micros.size() / 2], micros.front());
    return 0;
}
