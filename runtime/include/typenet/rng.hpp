// A small seeded random stream whose output is the same on every platform
// and standard library (std::normal_distribution is not), so the same seed
// gives bit-identical parameters, shuffles and augmentations everywhere.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

namespace typenet {

class random_stream {
public:
    explicit random_stream(std::uint64_t seed, std::uint64_t stream = 0)
        : state_(mix(seed ^ mix(stream + 0x632be59bd9b4e019ULL))) {}

    // splitmix64: a full-period generator with well-mixed output.
    std::uint64_t next() {
        state_ += 0x9e3779b97f4a7c15ULL;
        return mix(state_);
    }
    // Moves on as if next() had been called `count` times (splitmix64's
    // state is a counter), so a rank can start at its share of a stream.
    void skip(std::uint64_t count) { state_ += count * 0x9e3779b97f4a7c15ULL; }
    // Uniform in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    double uniform(double low, double high) { return low + (high - low) * uniform(); }
    // An integer uniform in [0, n), without modulo bias worth speaking of for n < 2^32.
    std::uint64_t below(std::uint64_t n) { return static_cast<std::uint64_t>(uniform() * static_cast<double>(n)); }
    // Box-Muller: one standard normal per call.
    double normal() {
        const double u1 = 1.0 - uniform();  // (0, 1]: log stays finite
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
    }
    double normal(double mean, double stddev) { return mean + stddev * normal(); }

private:
    static constexpr std::uint64_t mix(std::uint64_t z) {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::uint64_t state_;
};

}  // namespace typenet
