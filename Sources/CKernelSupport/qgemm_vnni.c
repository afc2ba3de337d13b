#include "qgemm.h"

// The int8 GEMM on CPUs with AVX-512 VNNI: vpdpbusd multiplies 4 u8 x s8 pairs per int32 lane
// and adds them to the lane in one instruction (64 multiply-adds per 512-bit register; the
// AVX2 kernel needs vpmaddubsw + vpmaddwd + vpaddd for 32). The packed panel layout
// `[KP / 4][16][4]` is one 64-byte register per 4 steps of k. The sums are exact integers on
// both paths (|w| <= 63), and the epilogue does the AVX2 kernel's float operations in its
// order, so the two give the same bits.

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define VNNI __attribute__((target("avx512f,avx512vnni")))
#define AVX512F __attribute__((target("avx512f")))

int archc_cpu_has_avx512vnni(void) {
    static int answer = -1;
    if (answer < 0) answer = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni") ? 1 : 0;
    return answer;
}

enum { NR = 16 };

// max/min as the AVX2 kernel's activate8 (a NaN becomes 0, as vmaxps returns its second operand).
VNNI static inline __m512 activate16(__m512 v, int act) {
    if (act == 0) return v;
    v = _mm512_max_ps(v, _mm512_setzero_ps());
    return act == 2 ? _mm512_min_ps(v, _mm512_set1_ps(6)) : v;
}

// Row i of C, one panel (columns j0.., `cols` of them): y = post(act(float(acc + offset) * scale
// + bias) + residual), stored under a mask when the panel is the last, narrow one.
VNNI static inline __attribute__((always_inline)) void finish(__m512i acc, float *c, const float *residual, long j0, long cols,
                                                               const archc_qepilogue *e) {
    const __mmask16 mask = cols >= NR ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);
    const __m512i sum = _mm512_add_epi32(acc, _mm512_loadu_si512(e->offset + j0));
    __m512 x = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_loadu_ps(e->scale + j0), _mm512_loadu_ps(e->bias + j0));
    x = activate16(x, e->activation);
    if (residual) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mask, residual));
    x = activate16(x, e->post_activation);
    _mm512_mask_storeu_ps(c, mask, x);
}

// ROWS (12 or 4) x PANELS (1 or 2) x 16 int32 sums in registers; per 4 steps of k: PANELS
// 64-byte loads of weights, ROWS 4-byte broadcasts of A, ROWS x PANELS vpdpbusd. Rows past
// `rows` read row 0 again and are not stored.
VNNI static inline __attribute__((always_inline)) void tile(const int ROWS, const int PANELS, const uint8_t *a, long lda, long kp,
                                                             const int8_t *panel0, long rows, float *c, long ldc, long j0, long n,
                                                             const float *residual, const archc_qepilogue *e) {
    const uint8_t *row[12];
#pragma clang loop unroll(full)
    for (int i = 0; i < ROWS; i++) row[i] = i < rows ? a + i * lda : a;
    __m512i acc[12][2];
#pragma clang loop unroll(full)
    for (int i = 0; i < ROWS; i++) {
#pragma clang loop unroll(full)
        for (int j = 0; j < PANELS; j++) acc[i][j] = _mm512_setzero_si512();
    }
    const int8_t *b0 = panel0, *b1 = panel0 + kp * NR;
    for (long k = 0; k < kp; k += 4) {
        const __m512i w0 = _mm512_loadu_si512((const void *)b0);
        const __m512i w1 = PANELS == 2 ? _mm512_loadu_si512((const void *)b1) : w0;
#pragma clang loop unroll(full)
        for (int i = 0; i < ROWS; i++) {
            int32_t four;
            memcpy(&four, row[i] + k, 4);
            const __m512i x = _mm512_set1_epi32(four);
            acc[i][0] = _mm512_dpbusd_epi32(acc[i][0], x, w0);
            if (PANELS == 2) acc[i][1] = _mm512_dpbusd_epi32(acc[i][1], x, w1);
        }
        b0 += 64, b1 += 64;
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < ROWS; i++) {
        if (i >= rows) break;
#pragma clang loop unroll(full)
        for (int j = 0; j < PANELS; j++) {
            const long first = j0 + j * NR, cols = n - first < NR ? n - first : NR;
            finish(acc[i][j], c + i * ldc + j * NR, residual ? residual + i * ldc + j * NR : NULL, first, cols, e);
        }
    }
}

#define TILE(name, ROWS, PANELS)                                                                                                   \
    VNNI static void name(const uint8_t *a, long lda, long kp, const int8_t *panel0, long rows, float *c, long ldc, long j0, long n, \
                          const float *residual, const archc_qepilogue *e) {                                                        \
        tile(ROWS, PANELS, a, lda, kp, panel0, rows, c, ldc, j0, n, residual, e);                                                   \
    }
TILE(tile12x32, 12, 2)
TILE(tile12x16, 12, 1)
TILE(tile4x32, 4, 2)
TILE(tile4x16, 4, 1)

// One 12-row (or short last) tile of rows over one panel or a pair.
static inline void step(const uint8_t *a, long lda, long kp, const int8_t *b, long r, long rows, long p, int pair, long n, float *c, long ldc,
                        const archc_qepilogue *e) {
    const int8_t *panel = b + p * kp * NR;
    const long j0 = p * NR;
    const float *residual = e->residual ? e->residual + r * ldc + j0 : NULL;
    float *out = c + r * ldc + j0;
    const uint8_t *x = a + r * lda;
    // A short last tile of at most 8 rows takes one or two 4-row tiles: 12 would do up to 3x
    // the work.
    if (rows > 8) {
        (pair ? tile12x32 : tile12x16)(x, lda, kp, panel, rows, out, ldc, j0, n, residual, e);
        return;
    }
    const long first = rows < 4 ? rows : 4;
    (pair ? tile4x32 : tile4x16)(x, lda, kp, panel, first, out, ldc, j0, n, residual, e);
    if (rows > 4) {
        (pair ? tile4x32 : tile4x16)(x + 4 * lda, lda, kp, panel, rows - 4, out + 4 * ldc, ldc, j0, n, residual ? residual + 4 * ldc : NULL, e);
    }
}

void archc_qgemm_u8s8_vnni(const uint8_t *a, long lda, long kp, const int8_t *b, long r0, long r1, long p0, long p1, long n, float *c,
                           long ldc, const archc_qepilogue *e, long rows_outer_bytes) {
    if ((p1 - p0) * kp * NR <= rows_outer_bytes) {
        // Each tile's rows (12 x KP bytes) stay in L1 while the block's panels pass over them
        // from L2.
        for (long r = r0; r < r1; r += 12) {
            const long rows = r1 - r < 12 ? r1 - r : 12;
            for (long p = p0; p < p1; p += 2) step(a, lda, kp, b, r, rows, p, p + 1 < p1, n, c, ldc, e);
        }
        return;
    }
    // Otherwise rows in blocks of at most 128 KiB of A, which stay in L2 while every panel
    // pair of the call passes over them; a pair (2 x 16 x KP bytes: 16 KiB at KP = 512) stays
    // near L1 while the block's tiles use it.
    long mc = (128L << 10) / (kp > 0 ? kp : 1) / 12 * 12;
    if (mc < 12) mc = 12;
    for (long m0 = r0; m0 < r1; m0 += mc) {
        const long m1 = m0 + mc < r1 ? m0 + mc : r1;
        for (long p = p0; p < p1; p += 2) {
            for (long r = m0; r < m1; r += 12) step(a, lda, kp, b, r, m1 - r < 12 ? m1 - r : 12, p, p + 1 < p1, n, c, ldc, e);
        }
    }
}

// `archc_quantize_u8`'s arithmetic 16 floats at a time (the AVX2 kernel's max-then-min clamp,
// so a NaN becomes the low end there too), the tail under a mask instead of one at a time.
AVX512F static void quantize(const float *x, long rows, long k, long ldx, uint8_t *q, long ldq, long kp, float inverse_scale,
                             int zero_point, uint8_t pad) {
    const __m512 scale = _mm512_set1_ps(inverse_scale);
    const __m512 lo = _mm512_set1_ps((float)-zero_point), hi = _mm512_set1_ps((float)(255 - zero_point));
    const __m512i zp = _mm512_set1_epi32(zero_point);
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * ldx;
        uint8_t *out = q + r * ldq;
        for (long i = 0; i < k; i += 16) {
            const __mmask16 mask = k - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (k - i)) - 1);
            __m512 f = _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, row + i), scale);
            f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
            _mm512_mask_cvtepi32_storeu_epi8(out + i, mask, _mm512_add_epi32(_mm512_cvtps_epi32(f), zp));
        }
        if (kp > k) memset(out + k, pad, (size_t)(kp - k));
    }
}

void archc_quantize_u8_avx512(const float *x, long rows, long k, long ldx, uint8_t *q, long ldq, long kp, float inverse_scale, int zero_point,
                              uint8_t pad) {
    quantize(x, rows, k, ldx, q, ldq, kp, inverse_scale, zero_point, pad);
}
#else
int archc_cpu_has_avx512vnni(void) { return 0; }

void archc_quantize_u8_avx512(const float *x, long rows, long k, long ldx, uint8_t *q, long ldq, long kp, float inverse_scale, int zero_point,
                              uint8_t pad) {
    archc_quantize_u8_portable(x, rows, k, ldx, q, ldq, kp, inverse_scale, zero_point, pad);
}

void archc_qgemm_u8s8_vnni(const uint8_t *a, long lda, long kp, const int8_t *b, long r0, long r1, long p0, long p1, long n, float *c,
                           long ldc, const archc_qepilogue *e, long rows_outer_bytes) {
    (void)rows_outer_bytes;
    archc_qgemm_u8s8_portable(a, lda, kp, b, r0, r1, p0, p1, n, c, ldc, e);
}
#endif
