#include "heap_policy.h"

#include <stdlib.h>  // defines __GLIBC__ on glibc

#if defined(__GLIBC__)
#include <malloc.h>

int archc_map_allocations_from(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }
#else
int archc_map_allocations_from(int bytes) {
    (void)bytes;
    return 0;
}
#endif
