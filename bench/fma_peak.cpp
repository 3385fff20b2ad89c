#include "fma_peak.hpp"

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

namespace {

// 12 independent accumulator chains hide the FMA latency on every core
// seen here: 2 FMA ports x 4 cycles needs 8 chains in flight. Each chain is
// `c = c * a + b`, which GCC contracts into one fused multiply-add
// (-ffp-contract=fast, GCC's default for C++) in the FMA-capable targets
// below: the disassembly shows 12 vfmadd per iteration, ymm and zmm.
template <class Vector>
__attribute__((always_inline)) inline float fma_chains(long iterations) {
    constexpr int lanes = sizeof(Vector) / sizeof(float);
    Vector a, b, c[12];
    for (int l = 0; l < lanes; ++l) a[l] = 0.999999f, b[l] = 1e-7f;
    for (int k = 0; k < 12; ++k)
        for (int l = 0; l < lanes; ++l) c[k][l] = float(k);
    for (long it = 0; it < iterations; ++it)
#pragma GCC unroll 12
        for (int k = 0; k < 12; ++k) c[k] = c[k] * a + b;
    float sum = 0;
    for (int k = 0; k < 12; ++k) sum += c[k][0];
    return sum;
}

using float8 = float __attribute__((vector_size(32)));
using float16 = float __attribute__((vector_size(64)));

__attribute__((target("avx2,fma"))) float fma_loop_avx2(long iterations) { return fma_chains<float8>(iterations); }

// With two 512-bit FMA ports (Intel Xeon family 6 model 207, where an AVX2-only
// loop read 167.9 GFLOP/s under PyTorch's 234) 256-bit vectors can reach only
// half the peak; where 512-bit FMAs are split in halves (Zen 4) both loops
// reach it. The faster of the two is the peak.
__attribute__((target("avx512f"))) float fma_loop_avx512(long iterations) { return fma_chains<float16>(iterations); }

constexpr double flops_per_iteration(int lanes) { return 12.0 * lanes * 2; }

double gflops(int threads, long iterations, int lanes, float (*loop)(long)) {
    std::vector<std::thread> pool;
    std::vector<float> sink(threads);
    const auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { sink[t] = loop(iterations); });
    for (auto& th : pool) th.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return threads * double(iterations) * flops_per_iteration(lanes) / seconds / 1e9 + 0 * sink[0];
}

}  // namespace

double measure_fma_peak_gflops(int threads) {
    // Every vector width the CPU runs; the 512-bit loop does the same work in half the iterations.
    double peak = gflops(threads, 100'000'000, 8, fma_loop_avx2);
    if (__builtin_cpu_supports("avx512f")) peak = std::max(peak, gflops(threads, 50'000'000, 16, fma_loop_avx512));
    return peak;
}
