#ifndef ARCHC_DEPTHWISE_AVX512_H
#define ARCHC_DEPTHWISE_AVX512_H

/// What the 512-bit depthwise kernel does with a pixel's 16 sums: stores them as they are,
/// clamps them to [0, upper] first (ReLU, ReLU6; NaN stays NaN), or writes them to a buffer
/// of seven rows of 16 for the caller's general epilogue.
#define ARCHC_DW_PLAIN 0
#define ARCHC_DW_CLAMP 1
#define ARCHC_DW_SUMS 2

/// Seven neighbouring output pixels x 16 channels of a depthwise convolution on AVX-512F
/// (`DepthwiseKernel`'s `seven`, one register per pixel): pixel j's sum starts from `bias`
/// (16 floats, or zero when NULL) and adds, for kernel rows r = 0..<rows and taps
/// t = 0..<taps in that order, `x[r * row_step + j * pixel_step + t * tap_step + c] *
/// w[r * w_row_step + t * 16 + c]` (c = 0..<16), one FMA each. `out` gets pixel j's 16
/// floats at `out + j * out_step` (ARCHC_DW_SUMS: at `out + j * 16`). Only on a CPU where
/// `archc_cpu_has_avx512f()`.
void archc_dw7_avx512(const float *x, long row_step, long pixel_step, long tap_step, const float *w, long w_row_step, long rows, long taps,
                      const float *bias, float *out, long out_step, int mode, float upper);
#endif
