#ifndef ARCHC_THREAD_SCRATCH_H
#define ARCHC_THREAD_SCRATCH_H
#include <stddef.h>

enum { ARCHC_SCRATCH_SLOTS = 4 };

/// The calling thread's scratch block `slot` (0 ..< ARCHC_SCRATCH_SLOTS), at least `bytes`
/// long and 64-byte aligned, kept for the thread's next call (a kernel's per-chunk buffer
/// without an allocation per chunk) and freed when the thread ends. Valid until the same
/// thread asks for the same slot again; its contents are not kept when it grows. NULL for a
/// slot out of range, a size above SIZE_MAX / 2, or when the system has no room (callers then
/// allocate). Not counted in an engine's `scratchBytes`: a few hundred KiB per thread at most
/// (the depthwise kernel's buffer is at most 128 KiB).
void *archc_thread_scratch(int slot, size_t bytes);
#endif
