#include "fma_peak.h"

// 48 FMAs per step on twelve independent accumulators (FMA latency 4 x 2 pipes needs 8):
// only the FMA units limit the loop. Unrolled this far because the loop's own instructions
// cost throughput (ten FMAs per step measured 5% below the peak). Inline assembly, because
// compilers rewrite such loops (constant operands get folded lane by lane).
#define FMA(acc) "vfmadd231ps %%ymm14, %%ymm15, %%ymm" #acc "\n\t"
#define TWELVE FMA(0) FMA(1) FMA(2) FMA(3) FMA(4) FMA(5) FMA(6) FMA(7) FMA(8) FMA(9) FMA(10) FMA(11)
enum { FMAS_PER_STEP = 48 };

double archc_fma_peak_run(long steps) {
#if defined(__x86_64__)
    for (long i = 0; i < steps; i++) {
        __asm__ volatile(TWELVE TWELVE TWELVE TWELVE
                         ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11");
    }
    __asm__ volatile("vzeroupper");
    return (double)steps * FMAS_PER_STEP * 8 * 2;
#else
    (void)steps;
    return 0;
#endif
}

#define FMA512(acc) "vfmadd231ps %%zmm14, %%zmm15, %%zmm" #acc "\n\t"
#define TWELVE512 FMA512(0) FMA512(1) FMA512(2) FMA512(3) FMA512(4) FMA512(5) FMA512(6) FMA512(7) FMA512(8) FMA512(9) FMA512(10) FMA512(11)

double archc_fma_peak_run512(long steps) {
#if defined(__x86_64__)
    for (long i = 0; i < steps; i++) {
        __asm__ volatile(TWELVE512 TWELVE512 TWELVE512 TWELVE512
                         ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11");
    }
    __asm__ volatile("vzeroupper");
    return (double)steps * FMAS_PER_STEP * 16 * 2;
#else
    (void)steps;
    return 0;
#endif
}
