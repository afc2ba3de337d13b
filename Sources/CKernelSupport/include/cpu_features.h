#ifndef ARCHC_CPU_FEATURES_H
#define ARCHC_CPU_FEATURES_H
/// 1 when this CPU executes AVX2 instructions (CPUID, as the C compiler's builtin reads it), else 0.
int archc_cpu_has_avx2(void);

/// 1 when this CPU executes FMA3 instructions, else 0.
int archc_cpu_has_fma(void);

/// The size in bytes of one core's L2 cache as the C library reports it (CPUID on x86), or 0
/// when it does not know.
long archc_l2_cache_bytes(void);
#endif
