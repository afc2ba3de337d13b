#ifndef ARCHC_QGEMM_H
#define ARCHC_QGEMM_H
#include <stdint.h>

/// What the int8 GEMM does with a finished int32 sum `acc` of column j (per 8 columns, in
/// registers): `y = post(act(float(acc + offset[j]) * scale[j] + bias[j]) + residual)`.
/// `scale` folds the activation scale into the weight scale of column j, `offset` is
/// `-zero_point * (sum of column j's int8 weights)`; all three vectors hold `panels * 16`
/// values (zero-padded past n). Activations: 0 none, 1 ReLU, 2 ReLU6.
typedef struct {
    const float *scale;
    const int32_t *offset;
    const float *bias;
    /// Laid out as C (same leading dimension), or NULL.
    const float *residual;
    int activation;
    int post_activation;
} archc_qepilogue;

/// Rows [r0, r1) and 16-column panels [p0, p1) of `C[M, N] = epilogue(A[M, KP] * B[N, KP]^T)`:
/// A unsigned 8-bit, row-major (`lda` bytes apart, KP a multiple of 4), B signed 8-bit
/// packed by panels of 16 columns, each `[KP / 4][16][4]` bytes (a 32-byte register holds 8
/// columns x 4 steps of k). Sums in int32 through vpmaddubsw + vpmaddwd: the caller keeps
/// |B| <= 63 so that a pair of u8 x s8 products (at most 2 x 255 x 63 = 32130) never
/// saturates vpmaddubsw's int16 lanes, which makes every sum exact.
/// Uses AVX2 when the CPU has it, else portable C (`archc_qgemm_u8s8_portable`).
void archc_qgemm_u8s8(const uint8_t *a, long lda, long kp, const int8_t *b, long r0, long r1, long p0, long p1, long n, float *c,
                      long ldc, const archc_qepilogue *epilogue);

/// 1 when this CPU and its operating system run AVX-512F and AVX-512 VNNI, else 0.
int archc_cpu_has_avx512vnni(void);

/// `archc_qgemm_u8s8` with AVX-512 VNNI (vpdpbusd: four u8 x s8 products added into each
/// int32 lane in one instruction), 12 x 32 tiles: the same exact sums and the same epilogue
/// arithmetic, so the same bits. When the block's weights ((p1 - p0) x 16 x KP bytes) are at
/// most `rows_outer_bytes`, each tile of rows runs over all of the block's panels (weights
/// from L2, rows from L1: `PackedGemm.rowsOuterBytesOfB`); otherwise each pair of panels over a
/// block of rows. Only on a CPU where `archc_cpu_has_avx512vnni()`.
void archc_qgemm_u8s8_vnni(const uint8_t *a, long lda, long kp, const int8_t *b, long r0, long r1, long p0, long p1, long n, float *c,
                           long ldc, const archc_qepilogue *epilogue, long rows_outer_bytes);

/// The same in portable C, one value at a time (the fallback, and a twin in tests).
void archc_qgemm_u8s8_portable(const uint8_t *a, long lda, long kp, const int8_t *b, long r0, long r1, long p0, long p1, long n,
                               float *c, long ldc, const archc_qepilogue *epilogue);

/// `rows` rows of `k` floats (`ldx` apart) to unsigned 8 bits (`ldq` apart):
/// `q = clamp(round_to_nearest_even(x * inverse_scale), -zero_point, 255 - zero_point) + zero_point`,
/// columns [k, kp) set to `pad`. AVX2 when the CPU has it.
void archc_quantize_u8(const float *x, long rows, long k, long ldx, uint8_t *q, long ldq, long kp, float inverse_scale, int zero_point,
                       uint8_t pad);

/// `archc_quantize_u8` 16 floats at a time (the tail under a mask): the same bytes. Only on a
/// CPU with AVX-512F.
void archc_quantize_u8_avx512(const float *x, long rows, long k, long ldx, uint8_t *q, long ldq, long kp, float inverse_scale, int zero_point,
                              uint8_t pad);

/// `archc_quantize_u8` in portable C.
void archc_quantize_u8_portable(const float *x, long rows, long k, long ldx, uint8_t *q, long ldq, long kp, float inverse_scale,
                                int zero_point, uint8_t pad);
#endif
