#ifndef ARCHC_CPU_FEATURES_H
#define ARCHC_CPU_FEATURES_H
/// 1 when this CPU executes AVX2 instructions (CPUID, as the C compiler's builtin reads it), else 0.
int archc_cpu_has_avx2(void);

/// 1 when this CPU executes FMA3 instructions, else 0.
int archc_cpu_has_fma(void);
#endif
