#ifndef ARCHC_AVX512_COMMON_H
#define ARCHC_AVX512_COMMON_H
// What the 512-bit kernels share (private to CKernelSupport: not in include/, so not seen by
// Swift). Only for functions compiled with `AVX512` and entered after archc_cpu_has_avx512f().
#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

// v < 0 -> 0, then v > upper -> upper, by compare-and-replace, not max/min: NaN stays NaN, as
// `EpilogueKernel.activate` keeps it (ReLU6: upper 6; ReLU alone: `archc_relu512`).
AVX512 static inline __m512 archc_relu512(__m512 v) {
    const __m512 zero = _mm512_setzero_ps();
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, zero);
}

AVX512 static inline __m512 archc_clamp512(__m512 v, __m512 upper) {
    v = archc_relu512(v);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, upper, _CMP_GT_OQ), v, upper);
}
#endif
#endif
