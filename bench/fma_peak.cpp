#include "fma_peak.hpp"

#include <immintrin.h>

#include <chrono>
#include <thread>
#include <vector>

namespace {

// 12 independent accumulator chains hide the FMA latency; 2 FLOPs x 8 lanes each.
__attribute__((target("avx2,fma"))) double fma_loop(long iterations) {
    __m256 acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(float(i));
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (long it = 0; it < iterations; ++it)
        for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    __m256 sum = acc[0];
    for (int i = 1; i < 12; ++i) sum = _mm256_add_ps(sum, acc[i]);
    float out[8];
    _mm256_storeu_ps(out, sum);
    return out[0];
}

}  // namespace

double measure_fma_peak_gflops(int threads) {
    const long iterations = 200'000'000 / 12;
    std::vector<std::thread> pool;
    std::vector<double> sink(threads);
    const auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { sink[t] = fma_loop(iterations); });
    for (auto& th : pool) th.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return threads * double(iterations) * 12 * 8 * 2 / seconds / 1e9 + 0 * sink[0];
}
