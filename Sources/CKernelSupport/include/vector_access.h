#ifndef ARCHC_VECTOR_ACCESS_H
#define ARCHC_VECTOR_ACCESS_H
/// Eight floats from any float-aligned address (imported by Swift as SIMD8<Float>).
/// Static inline and always inlined: Swift's generic `UnsafeRawPointer.loadUnaligned`
/// stays an out-of-line call in the large kernel functions, and every call there spills the
/// tile's accumulators around it.
typedef float archc_float8 __attribute__((ext_vector_type(8)));

static inline __attribute__((always_inline)) archc_float8 archc_load8(const float *address) {
    archc_float8 v;
    __builtin_memcpy(&v, address, sizeof v);
    return v;
}
#endif
