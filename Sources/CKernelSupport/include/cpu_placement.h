#ifndef ARCHC_CPU_PLACEMENT_H
#define ARCHC_CPU_PLACEMENT_H
/// The CPU the calling thread runs on now, or -1 where that cannot be known.
int archc_current_cpu(void);

/// How many CPUs the calling thread may run on (its affinity mask, as `taskset` sets it),
/// or -1 where that cannot be known.
int archc_allowed_cpus(void);

/// Moves the calling thread off `cpu` onto another CPU it is allowed on, then gives it back
/// its allowed set (it stays where it was moved until the scheduler moves it again).
/// Returns 1 if it moved, 0 if it could not (no other CPU allowed, or not Linux).
int archc_leave_cpu(int cpu);
#endif
