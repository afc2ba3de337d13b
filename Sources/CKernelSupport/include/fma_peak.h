#ifndef ARCHC_FMA_PEAK_H
#define ARCHC_FMA_PEAK_H
/// Runs `steps` x 48 independent 8-wide FMAs (AVX2 + FMA; a no-op elsewhere) and returns
/// the floating-point operations done: the unit of this machine's measured FMA peak.
double archc_fma_peak_run(long steps);
#endif
