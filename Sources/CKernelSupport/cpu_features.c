#include "cpu_features.h"

#include <unistd.h>

// Compiled for the baseline x86-64 (this target has no -march flags), so asking is safe on
// any CPU; the answer decides whether the Haswell-compiled kernels may run at all.
#if defined(__x86_64__) || defined(__i386__)
int archc_cpu_has_avx2(void) { return __builtin_cpu_supports("avx2") ? 1 : 0; }
int archc_cpu_has_fma(void) { return __builtin_cpu_supports("fma") ? 1 : 0; }
#else
int archc_cpu_has_avx2(void) { return 0; }
int archc_cpu_has_fma(void) { return 0; }
#endif

long archc_l2_cache_bytes(void) {
#if defined(_SC_LEVEL2_CACHE_SIZE)
    long bytes = sysconf(_SC_LEVEL2_CACHE_SIZE);
    return bytes > 0 ? bytes : 0;
#else
    return 0;
#endif
}
