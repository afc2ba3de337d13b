#ifndef ARCHC_GEMM_AVX512_H
#define ARCHC_GEMM_AVX512_H

/// 1 when this CPU and its operating system run AVX-512F instructions (CPUID and the saved
/// register state, as the C compiler's builtin reads them), else 0.
int archc_cpu_has_avx512f(void);

/// Where `archc_gemm_tile_avx512` stores finished rows itself, as `PackedGemm.TileOutput`
/// does for full 16-column panels: `y = post(act(sum [+ C] [+ bias]) [+ residual])`, the
/// bias, activations and residual only at the last depth block (`last`); activations 0 none,
/// 1 ReLU, 2 ReLU6 (compare-and-replace: NaN stays NaN), 3 GELU (`EpilogueKernel.gelu`'s
/// arithmetic).
typedef struct {
    /// C at the tiles' first row and the first panel's first column; `ldc` floats per row.
    float *c;
    long ldc;
    /// The first panel's bias, or NULL.
    const float *bias;
    /// Laid out as C from the same origin, or NULL.
    const float *residual;
    /// Rows to store, from the first (at most 6 per tile).
    long rows;
    int accumulate;
    int last;
    int activation;
    int post_activation;
} archc_gemm_output;

/// The packed GEMM's inner product on AVX-512 (16 floats per register): `tiles` (1 or 2)
/// of `PackedGemm`'s 6-row tiles over `panels` (1 or 2) 16-column panels, for one depth
/// block. Segment s has `lengths[s]` steps of k; row i of tile t reads it from
/// `rows[t * table_stride + s * 6 + i]` (a `const float *`); panel j's packed weights start
/// at `panel0 + j * panel_stride` floats ([k][16], consecutive over the segments). Writes the
/// sums to `out`: row i of tile t, panel j at `out + (6 * t + i) * 32 + 16 * j`; or, with
/// `output`, finishes and stores them there (every panel whole). Each sum adds its products
/// in order of k with one FMA each, and the epilogue adds in `TileOutput`'s order, as the AVX2
/// tile does: the same bits. Only on a CPU where `archc_cpu_has_avx512f()`.
void archc_gemm_tile_avx512(long segments, const long *lengths, const void *rows, long tiles, long table_stride, const float *panel0,
                            long panel_stride, long panels, float *out, const archc_gemm_output *output);
#endif
