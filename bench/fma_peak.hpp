// The machine's measured fp32 FMA peak: the "physical limit" every kernel
// is reported against.
#pragma once

// GFLOP/s of a register-blocked FMA loop on `threads` threads at once.
double measure_fma_peak_gflops(int threads);
