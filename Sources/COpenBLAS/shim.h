// OpenBLAS's CBLAS interface (Debian: libopenblas-dev, found through pkg-config "openblas").
#include <cblas.h>
// Thread control, declared by OpenBLAS's cblas.h: openblas_set_num_threads, openblas_get_num_threads.
