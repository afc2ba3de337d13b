#include "qgemm.h"

#include <math.h>
#include <string.h>

// The int8 GEMM behind `archc run --precision int8`. Swift's SIMD types do not lower to
// vpmaddubsw (u8 x s8 -> int16 pairs), so the kernel is C with AVX2 intrinsics, compiled
// for AVX2 per function (`target` attributes: this target has no -march flags) and entered
// only on a CPU that has it; everything else runs the portable loops below.

enum { NR = 16, MR = 4 };

// ---------------------------------------------------------------------------------------
// Portable C

static float activate(float v, int act) {
    if (act == 1) return v < 0 ? 0 : v;
    if (act == 2) return v < 0 ? 0 : (v > 6 ? 6 : v);
    return v;
}

static float finish(int32_t acc, long j, long i, long ldc, const archc_qepilogue *e) {
    float v = (float)(acc + e->offset[j]) * e->scale[j] + e->bias[j];
    v = activate(v, e->activation);
    if (e->residual) v += e->residual[i * ldc + j];
    return activate(v, e->post_activation);
}

void archc_qgemm_u8s8_portable(const uint8_t *a, long lda, long kp, const int8_t *b, long r0, long r1, long p0, long p1, long n,
                               float *c, long ldc, const archc_qepilogue *e) {
    for (long p = p0; p < p1; p++) {
        const int8_t *panel = b + p * kp * NR;
        for (long i = r0; i < r1; i++) {
            for (long jj = 0; jj < NR && p * NR + jj < n; jj++) {
                int32_t acc = 0;
                for (long k = 0; k < kp; k++) acc += (int32_t)a[i * lda + k] * (int32_t)panel[(k / 4) * NR * 4 + jj * 4 + k % 4];
                long j = p * NR + jj;
                c[i * ldc + j] = finish(acc, j, i, ldc, e);
            }
        }
    }
}

static uint8_t quantize_one(float x, float inverse_scale, int zero_point) {
    float v = x * inverse_scale;
    float lo = (float)-zero_point, hi = (float)(255 - zero_point);
    v = v > lo ? v : lo;  // NaN becomes lo, like the vector path's max
    v = v < hi ? v : hi;
    return (uint8_t)((int)nearbyintf(v) + zero_point);
}

void archc_quantize_u8_portable(const float *x, long rows, long k, long ldx, uint8_t *q, long ldq, long kp, float inverse_scale,
                                int zero_point, uint8_t pad) {
    for (long r = 0; r < rows; r++) {
        for (long i = 0; i < k; i++) q[r * ldq + i] = quantize_one(x[r * ldx + i], inverse_scale, zero_point);
        for (long i = k; i < kp; i++) q[r * ldq + i] = pad;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

// ---------------------------------------------------------------------------------------
// AVX2

#define AVX2 __attribute__((target("avx2,fma")))

static int has_avx2(void) {
    static int answer = -1;
    if (answer < 0) answer = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return answer;
}

AVX2 static inline __m256 activate8(__m256 v, int act) {
    if (act == 0) return v;
    v = _mm256_max_ps(v, _mm256_setzero_ps());
    return act == 2 ? _mm256_min_ps(v, _mm256_set1_ps(6)) : v;
}

AVX2 static inline __m256i broadcast4(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

/// Finishes one row's 16 sums (columns `j0` on, `cols` of them stored) and stores them.
AVX2 static inline void store_row(__m256i lo, __m256i hi, float *c, const float *residual, long j0, long cols, const archc_qepilogue *e) {
    __m256 v[2];
    __m256i acc[2] = {lo, hi};
    for (int h = 0; h < 2; h++) {
        long j = j0 + h * 8;
        __m256i sum = _mm256_add_epi32(acc[h], _mm256_loadu_si256((const __m256i *)(e->offset + j)));
        __m256 x = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_loadu_ps(e->scale + j), _mm256_loadu_ps(e->bias + j));
        x = activate8(x, e->activation);
        if (residual) {
            if (cols == NR) {
                x = _mm256_add_ps(x, _mm256_loadu_ps(residual + h * 8));
            } else {
                float r[8] = {0};
                for (long t = 0; t < 8 && h * 8 + t < cols; t++) r[t] = residual[h * 8 + t];
                x = _mm256_add_ps(x, _mm256_loadu_ps(r));
            }
        }
        v[h] = activate8(x, e->post_activation);
    }
    if (cols == NR) {
        _mm256_storeu_ps(c, v[0]);
        _mm256_storeu_ps(c + 8, v[1]);
    } else {
        float out[NR];
        _mm256_storeu_ps(out, v[0]);
        _mm256_storeu_ps(out + 8, v[1]);
        memcpy(c, out, (size_t)cols * sizeof(float));
    }
}

/// One 4 x 16 tile: per 4 steps of k, two 32-byte loads of packed B, four broadcasts of A,
/// eight vpmaddubsw (u8 x s8 pairs -> int16) and eight vpmaddwd against ones (int16 pairs ->
/// int32), into eight int32 accumulators. Rows past `rows` repeat row 0 and are not stored.
AVX2 static void tile(const uint8_t *a, long lda, long kp, const int8_t *panel, int rows, float *c, long ldc, long j0, long cols,
                      const archc_qepilogue *e, long row) {
    const uint8_t *a0 = a, *a1 = rows > 1 ? a + lda : a, *a2 = rows > 2 ? a + 2 * lda : a, *a3 = rows > 3 ? a + 3 * lda : a;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    for (long k = 0; k < kp; k += 4) {
        __m256i b0 = _mm256_load_si256((const __m256i *)panel), b1 = _mm256_load_si256((const __m256i *)(panel + 32));
        __m256i x = broadcast4(a0 + k);
        c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b0), ones));
        c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b1), ones));
        x = broadcast4(a1 + k);
        c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b0), ones));
        c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b1), ones));
        x = broadcast4(a2 + k);
        c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b0), ones));
        c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b1), ones));
        x = broadcast4(a3 + k);
        c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b0), ones));
        c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b1), ones));
        panel += 64;
    }
    const float *res = e->residual ? e->residual + row * ldc + j0 : NULL;
    store_row(c00, c01, c, res, j0, cols, e);
    if (rows > 1) store_row(c10, c11, c + ldc, res ? res + ldc : NULL, j0, cols, e);
    if (rows > 2) store_row(c20, c21, c + 2 * ldc, res ? res + 2 * ldc : NULL, j0, cols, e);
    if (rows > 3) store_row(c30, c31, c + 3 * ldc, res ? res + 3 * ldc : NULL, j0, cols, e);
}

/// Rows of A per block: a block (at most 128 KiB of A) stays in L2 while every panel of the
/// call passes over it, and each panel (16 x KP bytes, 16 KiB at KP = 1024) stays in L1
/// while the block's tiles use it.
static long block_rows(long kp) {
    long rows = (128L << 10) / (kp > 0 ? kp : 1);
    rows = rows / MR * MR;
    return rows < MR ? MR : rows;
}

AVX2 static void qgemm_avx2(const uint8_t *a, long lda, long kp, const int8_t *b, long r0, long r1, long p0, long p1, long n, float *c,
                            long ldc, const archc_qepilogue *e) {
    long mc = block_rows(kp);
    for (long m0 = r0; m0 < r1; m0 += mc) {
        long m1 = m0 + mc < r1 ? m0 + mc : r1;
        for (long p = p0; p < p1; p++) {
            const int8_t *panel = b + p * kp * NR;
            long j0 = p * NR, cols = n - j0 < NR ? n - j0 : NR;
            for (long r = m0; r < m1; r += MR) {
                int rows = (int)(m1 - r < MR ? m1 - r : MR);
                tile(a + r * lda, lda, kp, panel, rows, c + r * ldc + j0, ldc, j0, cols, e, r);
            }
        }
    }
}

AVX2 static void quantize_avx2(const float *x, long rows, long k, long ldx, uint8_t *q, long ldq, long kp, float inverse_scale,
                               int zero_point, uint8_t pad) {
    const __m256 scale = _mm256_set1_ps(inverse_scale);
    const __m256 lo = _mm256_set1_ps((float)-zero_point), hi = _mm256_set1_ps((float)(255 - zero_point));
    const __m256i zp = _mm256_set1_epi32(zero_point);
    // packs work within 128-bit halves: this puts the 32 bytes back in order.
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * ldx;
        uint8_t *out = q + r * ldq;
        long i = 0;
        for (; i + 32 <= k; i += 32) {
            __m256i v[4];
            for (int t = 0; t < 4; t++) {
                __m256 f = _mm256_mul_ps(_mm256_loadu_ps(row + i + 8 * t), scale);
                f = _mm256_min_ps(_mm256_max_ps(f, lo), hi);
                v[t] = _mm256_add_epi32(_mm256_cvtps_epi32(f), zp);
            }
            __m256i words = _mm256_packus_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
            _mm256_storeu_si256((__m256i *)(out + i), _mm256_permutevar8x32_epi32(words, order));
        }
        for (; i < k; i++) out[i] = quantize_one(row[i], inverse_scale, zero_point);
        for (; i < kp; i++) out[i] = pad;
    }
}

void archc_qgemm_u8s8(const uint8_t *a, long lda, long kp, const int8_t *b, long r0, long r1, long p0, long p1, long n, float *c,
                      long ldc, const archc_qepilogue *e) {
    if (has_avx2()) {
        qgemm_avx2(a, lda, kp, b, r0, r1, p0, p1, n, c, ldc, e);
    } else {
        archc_qgemm_u8s8_portable(a, lda, kp, b, r0, r1, p0, p1, n, c, ldc, e);
    }
}

void archc_quantize_u8(const float *x, long rows, long k, long ldx, uint8_t *q, long ldq, long kp, float inverse_scale, int zero_point,
                       uint8_t pad) {
    if (has_avx2()) {
        quantize_avx2(x, rows, k, ldx, q, ldq, kp, inverse_scale, zero_point, pad);
    } else {
        archc_quantize_u8_portable(x, rows, k, ldx, q, ldq, kp, inverse_scale, zero_point, pad);
    }
}
#else
void archc_qgemm_u8s8(const uint8_t *a, long lda, long kp, const int8_t *b, long r0, long r1, long p0, long p1, long n, float *c,
                      long ldc, const archc_qepilogue *e) {
    archc_qgemm_u8s8_portable(a, lda, kp, b, r0, r1, p0, p1, n, c, ldc, e);
}

void archc_quantize_u8(const float *x, long rows, long k, long ldx, uint8_t *q, long ldq, long kp, float inverse_scale, int zero_point,
                       uint8_t pad) {
    archc_quantize_u8_portable(x, rows, k, ldx, q, ldq, kp, inverse_scale, zero_point, pad);
}
#endif
