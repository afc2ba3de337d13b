#include "depthwise_avx512.h"

#include "avx512_common.h"

// The depthwise kernel's seven-pixel strip for CPUs with AVX-512: a 16-channel block is one
// register, so seven pixels take seven accumulators, and per tap one weight load serves
// seven FMAs whose inputs are memory operands (the AVX2 kernel needs two of each).

#if defined(__x86_64__)

// The strip with its shape's steps as arguments; the wrappers below pass constants for the
// mobile kernels (3 or 5 taps, stride 1 or 2) and 7 taps at stride 1 (13 columns loaded per
// kernel row for 49 FMAs, where the general strip loads an input per FMA: Inverted-DW-Small's
// 7x7 convs 1.3-1.6x faster on Zen 4; 11 taps the same either way), so the compiler unrolls
// the taps and loads a column that several pixels share once.
AVX512 static inline __attribute__((always_inline)) void strip(const float *x, long row_step, long pixel_step, long tap_step, const float *w,
                                                               long w_row_step, long rows, long taps, const float *bias, float *out,
                                                               long out_step, int mode, float upper) {
    const __m512 b = bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps();
    __m512 a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b;
    for (long r = 0; r < rows; r++) {
        const float *p = x + r * row_step, *q = w + r * w_row_step;
        for (long t = 0; t < taps; t++) {
            const __m512 wt = _mm512_loadu_ps(q + t * 16);
            const float *c = p + t * tap_step;
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(c), wt, a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(c + pixel_step), wt, a1);
            a2 = _mm512_fmadd_ps(_mm512_loadu_ps(c + 2 * pixel_step), wt, a2);
            a3 = _mm512_fmadd_ps(_mm512_loadu_ps(c + 3 * pixel_step), wt, a3);
            a4 = _mm512_fmadd_ps(_mm512_loadu_ps(c + 4 * pixel_step), wt, a4);
            a5 = _mm512_fmadd_ps(_mm512_loadu_ps(c + 5 * pixel_step), wt, a5);
            a6 = _mm512_fmadd_ps(_mm512_loadu_ps(c + 6 * pixel_step), wt, a6);
        }
    }
    if (mode == ARCHC_DW_SUMS) out_step = 16;
    if (mode == ARCHC_DW_CLAMP) {
        const __m512 u = _mm512_set1_ps(upper);
        a0 = archc_clamp512(a0, u), a1 = archc_clamp512(a1, u), a2 = archc_clamp512(a2, u), a3 = archc_clamp512(a3, u);
        a4 = archc_clamp512(a4, u), a5 = archc_clamp512(a5, u), a6 = archc_clamp512(a6, u);
    }
    _mm512_storeu_ps(out, a0);
    _mm512_storeu_ps(out + out_step, a1);
    _mm512_storeu_ps(out + 2 * out_step, a2);
    _mm512_storeu_ps(out + 3 * out_step, a3);
    _mm512_storeu_ps(out + 4 * out_step, a4);
    _mm512_storeu_ps(out + 5 * out_step, a5);
    _mm512_storeu_ps(out + 6 * out_step, a6);
}

#define FIXED(name, TAPS, STRIDE)                                                                                                      \
    AVX512 static void name(const float *x, long row_step, const float *w, long rows, const float *bias, float *out, long out_step,   \
                            int mode, float upper) {                                                                                   \
        strip(x, row_step, (STRIDE) * 16, 16, w, (TAPS) * 16, rows, TAPS, bias, out, out_step, mode, upper);                           \
    }
FIXED(strip3s1, 3, 1)
FIXED(strip3s2, 3, 2)
FIXED(strip5s1, 5, 1)
FIXED(strip5s2, 5, 2)
FIXED(strip7s1, 7, 1)

AVX512 static void strip_any(const float *x, long row_step, long pixel_step, long tap_step, const float *w, long w_row_step, long rows,
                             long taps, const float *bias, float *out, long out_step, int mode, float upper) {
    strip(x, row_step, pixel_step, tap_step, w, w_row_step, rows, taps, bias, out, out_step, mode, upper);
}

void archc_dw7_avx512(const float *x, long row_step, long pixel_step, long tap_step, const float *w, long w_row_step, long rows, long taps,
                      const float *bias, float *out, long out_step, int mode, float upper) {
    if (tap_step == 16 && w_row_step == taps * 16 && (pixel_step == 16 || pixel_step == 32)) {
        const int s2 = pixel_step == 32;
        switch (taps) {
        case 3: (s2 ? strip3s2 : strip3s1)(x, row_step, w, rows, bias, out, out_step, mode, upper); return;
        case 5: (s2 ? strip5s2 : strip5s1)(x, row_step, w, rows, bias, out, out_step, mode, upper); return;
        case 7: if (!s2) { strip7s1(x, row_step, w, rows, bias, out, out_step, mode, upper); return; } break;
        default: break;
        }
    }
    strip_any(x, row_step, pixel_step, tap_step, w, w_row_step, rows, taps, bias, out, out_step, mode, upper);
}
#else
void archc_dw7_avx512(const float *x, long row_step, long pixel_step, long tap_step, const float *w, long w_row_step, long rows, long taps,
                      const float *bias, float *out, long out_step, int mode, float upper) {
    (void)x, (void)row_step, (void)pixel_step, (void)tap_step, (void)w, (void)w_row_step, (void)rows, (void)taps;
    (void)bias, (void)out, (void)out_step, (void)mode, (void)upper;
}
#endif
