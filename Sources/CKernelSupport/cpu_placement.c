#define _GNU_SOURCE
#include "cpu_placement.h"

#if defined(__linux__)
#include <sched.h>

int archc_current_cpu(void) { return sched_getcpu(); }

int archc_allowed_cpus(void) {
    cpu_set_t allowed;
    return sched_getaffinity(0, sizeof allowed, &allowed) == 0 ? CPU_COUNT(&allowed) : -1;
}

int archc_leave_cpu(int cpu) {
    cpu_set_t allowed, others;
    if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 0;
    others = allowed;
    CPU_CLR(cpu, &others);
    if (CPU_COUNT(&others) == 0 || sched_setaffinity(0, sizeof others, &others) != 0) return 0;
    sched_setaffinity(0, sizeof allowed, &allowed);
    return 1;
}
#else
int archc_current_cpu(void) { return -1; }
int archc_allowed_cpus(void) { return -1; }
int archc_leave_cpu(int cpu) { (void)cpu; return 0; }
#endif
