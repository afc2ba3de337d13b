#ifndef ARCHC_HEAP_POLICY_H
#define ARCHC_HEAP_POLICY_H
/// Serves every allocation of `bytes` or more from its own mapping, returned to the kernel
/// when freed (glibc's mallopt(M_MMAP_THRESHOLD), which Swift's Glibc module does not
/// export). Returns 1 on success, 0 where the C library has no such setting.
int archc_map_allocations_from(int bytes);
#endif
