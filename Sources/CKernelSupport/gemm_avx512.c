#include "gemm_avx512.h"

#include "avx512_common.h"

// The packed GEMM's micro-kernel for CPUs with AVX-512: Swift code in ArchcKernels is
// compiled for Haswell (AVX2 + FMA, the common target), so the 512-bit kernel is C,
// compiled for AVX-512F per function (`target` attribute) and entered only after
// `archc_cpu_has_avx512f` says yes.

#if defined(__x86_64__)
int archc_cpu_has_avx512f(void) {
    static int answer = -1;
    if (answer < 0) answer = __builtin_cpu_supports("avx512f") ? 1 : 0;
    return answer;
}

// `EpilogueKernel.gelu` and `Erf.erf` operation for operation (the same constants, products
// fused where Swift's `addingProduct` fuses them): the same bits.
AVX512 static inline __m512 gelu(__m512 v) {
    const __m512 limit = _mm512_set1_ps(3.92f), minus = _mm512_set1_ps(-3.92f);
    const __m512 x = _mm512_mul_ps(v, _mm512_set1_ps(0.70710678f));
    __m512 c = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, minus, _CMP_LT_OQ), x, minus);
    c = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(c, limit, _CMP_GT_OQ), c, limit);
    const __m512 u = _mm512_mul_ps(c, c);
    __m512 num = _mm512_set1_ps(2.0339737147878623e-06f), den = _mm512_set1_ps(3.806157474173233e-05f);
    num = _mm512_fmadd_ps(num, u, _mm512_set1_ps(0.0002874571073334664f));
    den = _mm512_fmadd_ps(den, u, _mm512_set1_ps(0.0011882545659318566f));
    num = _mm512_fmadd_ps(num, u, _mm512_set1_ps(0.0038692308589816093f));
    den = _mm512_fmadd_ps(den, u, _mm512_set1_ps(0.015174140222370625f));
    num = _mm512_fmadd_ps(num, u, _mm512_set1_ps(0.053063128143548965f));
    den = _mm512_fmadd_ps(den, u, _mm512_set1_ps(0.11509490758180618f));
    num = _mm512_fmadd_ps(num, u, _mm512_set1_ps(0.1927909404039383f));
    den = _mm512_fmadd_ps(den, u, _mm512_set1_ps(0.5041881799697876f));
    num = _mm512_fmadd_ps(num, u, _mm512_set1_ps(1.128378987312317f));
    den = _mm512_fmadd_ps(den, u, _mm512_set1_ps(1.0f));
    const __m512 erf = _mm512_div_ps(_mm512_mul_ps(c, num), den);
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), v), _mm512_add_ps(_mm512_set1_ps(1.0f), erf));
}

AVX512 static inline __m512 activate(__m512 v, int activation) {
    switch (activation) {
    case 1: return archc_relu512(v);
    case 2: return archc_clamp512(v, _mm512_set1_ps(6));
    case 3: return gelu(v);
    default: return v;
    }
}

// Row i, panel j: `TileOutput.store`'s arithmetic in its order.
AVX512 static inline __attribute__((always_inline)) void finish(__m512 v, const archc_gemm_output *o, int i, int j) {
    float *c = o->c + i * o->ldc + j * 16;
    if (o->accumulate) v = _mm512_add_ps(v, _mm512_loadu_ps(c));
    if (o->last) {
        if (o->bias) v = _mm512_add_ps(v, _mm512_loadu_ps(o->bias + j * 16));
        v = activate(v, o->activation);
        if (o->residual) v = _mm512_add_ps(v, _mm512_loadu_ps(o->residual + i * o->ldc + j * 16));
        v = activate(v, o->post_activation);
    }
    _mm512_storeu_ps(c, v);
}

// ROWS (6 or 12: one or two row tiles) x PANELS (1 or 2) x 16 sums in ROWS * PANELS
// registers. Per step of k: PANELS 16-wide loads of weights, ROWS broadcasts of A, ROWS *
// PANELS FMAs, each into its own accumulator (FMA latency 4 x 2 pipes wants at least 8; 12x32
// keeps 24 and needs 14 loads per 24 FMAs, where 6x32 needs 8 per 12). Constant bounds: the
// compiler unrolls the loops over rows and panels and keeps every sum in a register.
AVX512 static inline __attribute__((always_inline)) void tile(const int ROWS, const int PANELS, long segments, const long *lengths,
                                                              const float *const *rows, long table_stride, const float *panel0,
                                                              long panel_stride, float *out, const archc_gemm_output *output) {
    __m512 c[12][2];
#pragma clang loop unroll(full)
    for (int i = 0; i < ROWS; i++) {
#pragma clang loop unroll(full)
        for (int j = 0; j < PANELS; j++) c[i][j] = _mm512_setzero_ps();
    }
    const float *b0 = panel0, *b1 = panel0 + panel_stride;
    // The lines the epilogue will read and write, asked for now: they arrive while the sums are
    // made (rows of C and the residual a whole row of the output apart, 4-8 KiB in the models: no hardware
    // prefetcher follows them, and at batch 8 they come from memory). ResNet-50 at batch 8 2.5%
    // faster, its layer1 conv3 (K = 64, with a residual) 16%.
    if (output) {
        const long stored = output->rows < ROWS ? output->rows : ROWS;
        for (long i = 0; i < stored; i++) {
            float *row = output->c + i * output->ldc;
            __builtin_prefetch(row, 1, 3);
            if (PANELS == 2) __builtin_prefetch(row + 16, 1, 3);
            if (output->last && output->residual) {
                const float *residual = output->residual + i * output->ldc;
                __builtin_prefetch(residual, 0, 3);
                if (PANELS == 2) __builtin_prefetch(residual + 16, 0, 3);
            }
        }
    }
    for (long s = 0; s < segments; s++) {
        const float *a[12];
#pragma clang loop unroll(full)
        for (int i = 0; i < ROWS; i++) a[i] = rows[(i / 6) * table_stride + s * 6 + i % 6];
        const long count = lengths[s];
        for (long k = 0; k < count; k++) {
            const __m512 w0 = _mm512_loadu_ps(b0);
            const __m512 w1 = PANELS == 2 ? _mm512_loadu_ps(b1) : w0;
#pragma clang loop unroll(full)
            for (int i = 0; i < ROWS; i++) {
                const __m512 x = _mm512_set1_ps(a[i][k]);
                c[i][0] = _mm512_fmadd_ps(x, w0, c[i][0]);
                if (PANELS == 2) c[i][1] = _mm512_fmadd_ps(x, w1, c[i][1]);
            }
            b0 += 16, b1 += 16;
        }
    }
    if (output) {
#pragma clang loop unroll(full)
        for (int i = 0; i < ROWS; i++) {
            if (i >= output->rows) break;
#pragma clang loop unroll(full)
            for (int j = 0; j < PANELS; j++) finish(c[i][j], output, i, j);
        }
        return;
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < ROWS; i++) {
#pragma clang loop unroll(full)
        for (int j = 0; j < PANELS; j++) _mm512_storeu_ps(out + i * 32 + j * 16, c[i][j]);
    }
}

#define TILE(name, ROWS, PANELS)                                                                                                        \
    AVX512 static void name(long segments, const long *lengths, const float *const *rows, long table_stride, const float *panel0,      \
                            long panel_stride, float *out, const archc_gemm_output *output) {                                          \
        tile(ROWS, PANELS, segments, lengths, rows, table_stride, panel0, panel_stride, out, output);                                  \
    }
TILE(tile6x16, 6, 1)
TILE(tile6x32, 6, 2)
TILE(tile12x16, 12, 1)
TILE(tile12x32, 12, 2)

void archc_gemm_tile_avx512(long segments, const long *lengths, const void *rows, long tiles, long table_stride, const float *panel0,
                            long panel_stride, long panels, float *out, const archc_gemm_output *output) {
    const float *const *pointers = (const float *const *)rows;
    if (tiles == 2) {
        (panels == 2 ? tile12x32 : tile12x16)(segments, lengths, pointers, table_stride, panel0, panel_stride, out, output);
    } else {
        (panels == 2 ? tile6x32 : tile6x16)(segments, lengths, pointers, table_stride, panel0, panel_stride, out, output);
    }
}
#else
int archc_cpu_has_avx512f(void) { return 0; }

void archc_gemm_tile_avx512(long segments, const long *lengths, const void *rows, long tiles, long table_stride, const float *panel0,
                            long panel_stride, long panels, float *out, const archc_gemm_output *output) {
    (void)segments, (void)lengths, (void)rows, (void)tiles, (void)table_stride, (void)panel0, (void)panel_stride, (void)panels, (void)out;
    (void)output;
}
#endif
