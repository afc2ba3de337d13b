#include "gemm_avx512.h"

// The packed GEMM's micro-kernel for CPUs with AVX-512: Swift code in ArchcKernels is
// compiled for Haswell (AVX2 + FMA, the common target), so the 512-bit kernel is C,
// compiled for AVX-512F per function (`target` attribute) and entered only after
// `archc_cpu_has_avx512f` says yes.

#if defined(__x86_64__)
#include <immintrin.h>

int archc_cpu_has_avx512f(void) {
    static int answer = -1;
    if (answer < 0) answer = __builtin_cpu_supports("avx512f") ? 1 : 0;
    return answer;
}

#define AVX512 __attribute__((target("avx512f")))

// Two panels: per step of k two 16-wide loads of weights, six broadcasts of A, twelve FMAs
// into twelve independent accumulators (FMA latency 4 x 2 pipes needs at least 8).
AVX512 static void tile6x32(long segments, const long *lengths, const float *const *rows, const float *b0, const float *b1,
                            float *out) {
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
    __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
    __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
    for (long s = 0; s < segments; s++) {
        const float *const *row = rows + s * 6;
        const float *a0 = row[0], *a1 = row[1], *a2 = row[2], *a3 = row[3], *a4 = row[4], *a5 = row[5];
        const long count = lengths[s];
        for (long k = 0; k < count; k++) {
            const __m512 w0 = _mm512_loadu_ps(b0), w1 = _mm512_loadu_ps(b1);
            __m512 x = _mm512_set1_ps(a0[k]);
            c00 = _mm512_fmadd_ps(x, w0, c00), c01 = _mm512_fmadd_ps(x, w1, c01);
            x = _mm512_set1_ps(a1[k]);
            c10 = _mm512_fmadd_ps(x, w0, c10), c11 = _mm512_fmadd_ps(x, w1, c11);
            x = _mm512_set1_ps(a2[k]);
            c20 = _mm512_fmadd_ps(x, w0, c20), c21 = _mm512_fmadd_ps(x, w1, c21);
            x = _mm512_set1_ps(a3[k]);
            c30 = _mm512_fmadd_ps(x, w0, c30), c31 = _mm512_fmadd_ps(x, w1, c31);
            x = _mm512_set1_ps(a4[k]);
            c40 = _mm512_fmadd_ps(x, w0, c40), c41 = _mm512_fmadd_ps(x, w1, c41);
            x = _mm512_set1_ps(a5[k]);
            c50 = _mm512_fmadd_ps(x, w0, c50), c51 = _mm512_fmadd_ps(x, w1, c51);
            b0 += 16, b1 += 16;
        }
    }
    _mm512_storeu_ps(out, c00), _mm512_storeu_ps(out + 16, c01);
    _mm512_storeu_ps(out + 32, c10), _mm512_storeu_ps(out + 48, c11);
    _mm512_storeu_ps(out + 64, c20), _mm512_storeu_ps(out + 80, c21);
    _mm512_storeu_ps(out + 96, c30), _mm512_storeu_ps(out + 112, c31);
    _mm512_storeu_ps(out + 128, c40), _mm512_storeu_ps(out + 144, c41);
    _mm512_storeu_ps(out + 160, c50), _mm512_storeu_ps(out + 176, c51);
}

// One panel: six accumulators, one per row (two per row, alternating over k, would keep
// the FMA pipes busier but add each sum in another order than the AVX2 tile).
AVX512 static void tile6x16(long segments, const long *lengths, const float *const *rows, const float *b, float *out) {
    __m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps(), c2 = _mm512_setzero_ps();
    __m512 c3 = _mm512_setzero_ps(), c4 = _mm512_setzero_ps(), c5 = _mm512_setzero_ps();
    for (long s = 0; s < segments; s++) {
        const float *const *row = rows + s * 6;
        const float *a0 = row[0], *a1 = row[1], *a2 = row[2], *a3 = row[3], *a4 = row[4], *a5 = row[5];
        const long count = lengths[s];
        for (long k = 0; k < count; k++) {
            const __m512 w = _mm512_loadu_ps(b);
            c0 = _mm512_fmadd_ps(_mm512_set1_ps(a0[k]), w, c0);
            c1 = _mm512_fmadd_ps(_mm512_set1_ps(a1[k]), w, c1);
            c2 = _mm512_fmadd_ps(_mm512_set1_ps(a2[k]), w, c2);
            c3 = _mm512_fmadd_ps(_mm512_set1_ps(a3[k]), w, c3);
            c4 = _mm512_fmadd_ps(_mm512_set1_ps(a4[k]), w, c4);
            c5 = _mm512_fmadd_ps(_mm512_set1_ps(a5[k]), w, c5);
            b += 16;
        }
    }
    _mm512_storeu_ps(out, c0), _mm512_storeu_ps(out + 32, c1), _mm512_storeu_ps(out + 64, c2);
    _mm512_storeu_ps(out + 96, c3), _mm512_storeu_ps(out + 128, c4), _mm512_storeu_ps(out + 160, c5);
}

void archc_gemm_tile6_avx512(long segments, const long *lengths, const void *rows, const float *panel0, long panel_stride,
                             long panels, float *out) {
    const float *const *pointers = (const float *const *)rows;
    if (panels == 2) {
        tile6x32(segments, lengths, pointers, panel0, panel0 + panel_stride, out);
    } else {
        tile6x16(segments, lengths, pointers, panel0, out);
    }
}
#else
int archc_cpu_has_avx512f(void) { return 0; }

void archc_gemm_tile6_avx512(long segments, const long *lengths, const void *rows, const float *panel0, long panel_stride,
                             long panels, float *out) {
    (void)segments, (void)lengths, (void)rows, (void)panel0, (void)panel_stride, (void)panels, (void)out;
}
#endif
