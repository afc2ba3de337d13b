#ifndef ARCHC_GEMM_AVX512_H
#define ARCHC_GEMM_AVX512_H

/// 1 when this CPU and its operating system run AVX-512F instructions (CPUID and the saved
/// register state, as the C compiler's builtin reads them), else 0.
int archc_cpu_has_avx512f(void);

/// The packed GEMM's inner product on AVX-512 (16 floats per register): `PackedGemm`'s 6-row
/// tile over `panels` (1 or 2) 16-column panels, for one depth block. Segment s has
/// `lengths[s]` steps of k; row i reads it from `rows[s * 6 + i]` (a `const float *`); panel j's packed weights
/// start at `panel0 + j * panel_stride` floats ([k][16], consecutive over the segments).
/// Writes the sums to `out`, row i's 16 * panels floats at `out + i * 32`. Each sum adds its
/// products in order of k with one FMA each, as the AVX2 tile does: the same bits.
/// Only on a CPU where `archc_cpu_has_avx512f()`.
void archc_gemm_tile6_avx512(long segments, const long *lengths, const void *rows, const float *panel0, long panel_stride,
                             long panels, float *out);
#endif
