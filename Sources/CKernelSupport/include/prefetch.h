#ifndef ARCHC_PREFETCH_H
#define ARCHC_PREFETCH_H
/// Asks the cache hierarchy to fetch the 64-byte line holding `address` into L2 (and not
/// L1), without waiting: the packed GEMM streams the next weight panel this way while it
/// computes with the current one. Static inline, so Swift compiles it in place.
static inline void archc_prefetch_l2(const void *address) {
    __builtin_prefetch(address, 0, 2);
}
#endif
