// Counter-based random numbers for dropout masks: a pure function of
// (position, layer, seed), so a training step is reproducible from its seed
// and the backward pass recomputes the forward pass's mask exactly.
#pragma once

#include <Halide.h>

namespace typenet::gen {

inline Halide::Expr u32(uint32_t value) { return Halide::Internal::UIntImm::make(Halide::UInt(32), value); }

// A 32-bit integer hash (the finalizer of MurmurHash3), well mixed in every bit.
inline Halide::Expr mix32(Halide::Expr h) {
    using Halide::cast;
    h = cast<uint32_t>(h);
    h = h ^ (h >> 16);
    h = h * u32(0x85ebca6bu);
    h = h ^ (h >> 13);
    h = h * u32(0xc2b2ae35u);
    return h ^ (h >> 16);
}

// A uniform uint32 for one element of one layer's output in one step.
inline Halide::Expr uniform_u32(const std::vector<Halide::Expr>& coordinates, int layer, Halide::Expr seed) {
    Halide::Expr h = mix32(Halide::cast<uint32_t>(seed) ^ u32(0x9e3779b9u * uint32_t(layer + 1)));
    for (const Halide::Expr& coordinate : coordinates) h = mix32(h ^ Halide::cast<uint32_t>(coordinate));
    return h;
}

}  // namespace typenet::gen
