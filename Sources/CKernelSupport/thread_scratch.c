#include "thread_scratch.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

// Each thread's scratch: one block per slot, kept between calls and freed when the thread
// ends (the key's destructor).
typedef struct {
    void *block[ARCHC_SCRATCH_SLOTS];
    size_t bytes[ARCHC_SCRATCH_SLOTS];
} scratch;

static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static __thread scratch *mine;

static int have_key;

static void release(void *value) {
    scratch *s = value;
    for (int i = 0; i < ARCHC_SCRATCH_SLOTS; i++) free(s->block[i]);
    free(s);
    // A destructor that runs later on this thread and asks again starts afresh.
    mine = NULL;
}

static void make_key(void) { have_key = pthread_key_create(&key, release) == 0; }

void *archc_thread_scratch(int slot, size_t bytes) {
    if (slot < 0 || slot >= ARCHC_SCRATCH_SLOTS) return NULL;
    // Sizes near SIZE_MAX (a count that wrapped) would wrap when rounded up.
    if (bytes > SIZE_MAX / 2) return NULL;
    if (!mine) {
        pthread_once(&once, make_key);
        if (!have_key) return NULL;
        scratch *s = calloc(1, sizeof(scratch));
        if (!s) return NULL;
        if (pthread_setspecific(key, s) != 0) {
            free(s);
            return NULL;
        }
        mine = s;
    }
    if (bytes == 0) bytes = 1;
    if (mine->bytes[slot] < bytes) {
        // Grown to at least 64 KiB at once, and rounded to whole cache lines.
        size_t size = bytes < (64u << 10) ? (64u << 10) : (bytes + 63) / 64 * 64;
        void *block = NULL;
        if (posix_memalign(&block, 64, size) != 0) return NULL;
        free(mine->block[slot]);
        mine->block[slot] = block;
        mine->bytes[slot] = size;
    }
    return mine->block[slot];
}
