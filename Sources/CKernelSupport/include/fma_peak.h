#ifndef ARCHC_FMA_PEAK_H
#define ARCHC_FMA_PEAK_H
/// Runs `steps` x 48 independent 8-wide FMAs (AVX2 + FMA; a no-op elsewhere) and returns
/// the floating-point operations done: the unit of this machine's measured FMA peak.
double archc_fma_peak_run(long steps);

/// The same with 16-wide FMAs (AVX-512F): the peak of the 512-bit GEMM tile. Only on a CPU
/// where `archc_cpu_has_avx512f()`.
double archc_fma_peak_run512(long steps);
#endif
