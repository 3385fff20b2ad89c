// The machine's measured fp32 FMA peak: the "physical limit" every kernel
// is reported against.
#pragma once

// GFLOP/s of register-blocked FMA loops on `threads` threads at once: the
// faster of 256-bit and, where the CPU has them, 512-bit vectors.
double measure_fma_peak_gflops(int threads);
