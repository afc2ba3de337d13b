#ifndef ARCHC_SPIN_H
#define ARCHC_SPIN_H
/// One iteration of a spin-wait: tells the core this is a busy loop (x86 PAUSE), which
/// saves power and lets the loop exit without a memory-order mis-speculation penalty.
static inline void archc_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}
#endif
