#include "fma_peak.h"

// 48 FMAs per step on twelve independent accumulators (FMA latency 4 x 2 pipes needs 8):
// only the FMA units limit the loop. Unrolled this far because the loop's own instructions
// cost throughput (ten FMAs per step measured 5% below the peak). Inline assembly, because
// compilers rewrite such loops (constant operands get folded lane by lane). One loop per
// register width: ymm (8 lanes, AVX2 + FMA) and zmm (16 lanes, AVX-512F).
#define FMA(reg, acc) "vfmadd231ps %%" reg "14, %%" reg "15, %%" reg #acc "\n\t"
#define TWELVE(reg) \
    FMA(reg, 0) FMA(reg, 1) FMA(reg, 2) FMA(reg, 3) FMA(reg, 4) FMA(reg, 5) FMA(reg, 6) FMA(reg, 7) FMA(reg, 8) FMA(reg, 9) FMA(reg, 10) FMA(reg, 11)
enum { FMAS_PER_STEP = 48 };

#if defined(__x86_64__)
#define PEAK_RUN(name, reg, lanes)                                                                                             \
    double name(long steps) {                                                                                                  \
        for (long i = 0; i < steps; i++) {                                                                                     \
            __asm__ volatile(TWELVE(reg) TWELVE(reg) TWELVE(reg) TWELVE(reg)::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", \
                             "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11");                                               \
        }                                                                                                                      \
        __asm__ volatile("vzeroupper");                                                                                        \
        return (double)steps * FMAS_PER_STEP * (lanes) * 2;                                                                    \
    }
#else
#define PEAK_RUN(name, reg, lanes)                                                                                             \
    double name(long steps) {                                                                                                  \
        (void)steps;                                                                                                           \
        return 0;                                                                                                              \
    }
#endif

PEAK_RUN(archc_fma_peak_run, "ymm", 8)
PEAK_RUN(archc_fma_peak_run512, "zmm", 16)
