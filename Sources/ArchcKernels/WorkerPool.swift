import CKernelSupport
import Foundation
import Synchronization

/// Runs a fixed list of work chunks on `threads` workers: the calling thread and
/// `threads - 1` persistent threads that spin briefly between calls, then sleep.
///
/// Chunk boundaries never depend on the thread count and every output element is written
/// by exactly one chunk, so results are bitwise identical whatever `threads` is.
///
/// Chunks are handed out in contiguous ranges: worker w starts on chunks
/// [w * chunks / threads, (w + 1) * chunks / threads), so a kernel that numbers its chunks
/// by rows gives each core the same rows layer after layer, and those rows stay in that
/// core's cache. A worker that finishes its range takes chunks from the end of the others'
/// ranges, so unequal chunks still balance.
///
/// Not `DispatchQueue.concurrentPerform`: on Linux that wakes its threads through the kernel
/// on every call (most of a kernel benchmark's time went to system calls), and which thread
/// runs which chunk changes from call to call.
public final class WorkerPool: @unchecked Sendable {
    public let threads: Int
    private let shared: Shared

    /// CPUs this process may run on (its affinity mask: fewer than the machine's under
    /// `taskset` or a container's CPU set): the default thread count.
    public static var allowedCPUs: Int {
        let allowed = Int(archc_allowed_cpus())
        return allowed > 0 ? allowed : ProcessInfo.processInfo.activeProcessorCount
    }

    public init(threads: Int) {
        self.threads = max(1, threads)
        shared = Shared(threads: self.threads)
        for w in 1..<self.threads {
            let shared = self.shared
            let thread = Thread { shared.workerLoop(w) }
            thread.name = "archc-worker-\(w)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        // Return once every worker runs (a first call would otherwise find none started).
        while shared.started.load(ordering: .acquiring) < self.threads - 1 { sched_yield() }
    }

    /// The workers hold only `shared`: they see the stop, leave their loop and release it.
    deinit { shared.stop() }

    /// Calls `body(chunk)` once for every chunk in `0..<chunks`. A call made while another is
    /// in progress (from another thread, or from inside a chunk) runs its chunks inline.
    public func run(chunks: Int, _ body: (Int) -> Void) {
        guard chunks > 0 else { return }
        guard threads > 1, chunks > 1, shared.begin() else {
            for chunk in 0..<chunks { body(chunk) }
            return
        }
        withoutActuallyEscaping(body) { body in shared.run(chunks: chunks, body) }
    }

    /// State the caller and the worker threads share.
    final class Shared: @unchecked Sendable {
        let threads: Int
        /// Per worker, its remaining range packed in one word, (next << 32) | end: the owner
        /// takes `next` and thieves take `end - 1`, each by one compare-and-swap, so every
        /// chunk goes to exactly one of them.
        private let ranges: [Slot]
        /// Bumped once per call; idle workers wait for it to change.
        private let generation = Atomic<Int>(0)
        /// Workers not yet done with the current call.
        private let pending = Atomic<Int>(0)
        private let sleepers = Atomic<Int>(0)
        private let stopping = Atomic<Bool>(false)
        private let busy = Atomic<Bool>(false)
        /// The CPU the caller ran on when it started the current call (-1: unknown).
        private let callerCPU = Atomic<Int>(-1)
        let started = Atomic<Int>(0)
        private let wake = NSCondition()
        /// Written by the caller before `generation` is bumped, read by workers after.
        private var job: ((Int) -> Void)?

        /// How long an idle worker spins before it sleeps: a model's layers follow each other
        /// within microseconds, a benchmark's runs within a millisecond.
        private static let spinNanoseconds: UInt64 = 2_000_000

        final class Slot: Sendable {
            let value = Atomic<Int>(0)
        }

        init(threads: Int) {
            self.threads = threads
            ranges = (0..<threads).map { _ in Slot() }
        }

        func begin() -> Bool {
            busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        }

        func run(chunks: Int, _ body: @escaping (Int) -> Void) {
            for w in 0..<threads {
                ranges[w].value.store((w * chunks / threads) << 32 | (w + 1) * chunks / threads, ordering: .relaxed)
            }
            job = body
            callerCPU.store(Int(archc_current_cpu()), ordering: .relaxed)
            pending.store(threads - 1, ordering: .relaxed)
            generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 { signal() }
            work(0, body)
            var spins = 0
            while pending.load(ordering: .acquiring) > 0 { pause(&spins) }
            job = nil
            busy.store(false, ordering: .releasing)
        }

        func stop() {
            stopping.store(true, ordering: .sequentiallyConsistent)
            generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
            signal()
        }

        private func signal() {
            wake.lock()
            wake.broadcast()
            wake.unlock()
        }

        /// A woken thread may be placed on its waker's CPU. Two of ours that then share a
        /// CPU never sleep again (they spin and yield to each other between calls), so the
        /// scheduler saw no reason to separate them: runs took 2-4x their time, for the
        /// process's life, with the other CPU idle (seen in a third of short benchmark runs
        /// started while another process briefly held the other CPU). A worker that finds
        /// itself on the caller's CPU moves off it.
        @inline(__always)
        private func leaveCallerCPU() {
            let cpu = callerCPU.load(ordering: .relaxed)
            if cpu >= 0, Int(archc_current_cpu()) == cpu { _ = archc_leave_cpu(Int32(cpu)) }
        }

        /// Worker w's share of a call: its own range from the front, then the others' from the back.
        private func work(_ w: Int, _ body: (Int) -> Void) {
            while let chunk = take(w, fromFront: true) { body(chunk) }
            for offset in 1..<threads {
                while let chunk = take((w + offset) % threads, fromFront: false) { body(chunk) }
            }
        }

        @inline(__always)
        private func take(_ w: Int, fromFront: Bool) -> Int? {
            let slot = ranges[w]
            var range = slot.value.load(ordering: .relaxed)
            while true {
                let next = range >> 32, end = range & 0xFFFF_FFFF
                guard next < end else { return nil }
                let taken = fromFront ? (next + 1) << 32 | end : next << 32 | (end - 1)
                let (exchanged, original) = slot.value.compareExchange(expected: range, desired: taken, ordering: .relaxed)
                if exchanged { return fromFront ? next : end - 1 }
                range = original
            }
        }

        func workerLoop(_ w: Int) {
            started.wrappingAdd(1, ordering: .releasing)
            var seen = 0
            while true {
                var current = generation.load(ordering: .acquiring)
                if current == seen {
                    let start = DispatchTime.now().uptimeNanoseconds
                    var spins = 0
                    while current == seen {
                        pause(&spins)
                        if spins & 1023 == 0, DispatchTime.now().uptimeNanoseconds - start > Self.spinNanoseconds { break }
                        current = generation.load(ordering: .acquiring)
                    }
                    if current == seen {
                        wake.lock()
                        sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
                        while generation.load(ordering: .sequentiallyConsistent) == seen { wake.wait() }
                        sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
                        wake.unlock()
                        current = generation.load(ordering: .acquiring)
                    }
                }
                seen = current
                if stopping.load(ordering: .acquiring) { return }
                leaveCallerCPU()
                if let job { work(w, job) }
                pending.wrappingSubtract(1, ordering: .releasing)
            }
        }
    }
}

/// One step of a spin-wait: a PAUSE, and after the first few thousand a yield of the CPU,
/// so a waiting thread never keeps a thread it waits for off its core (more threads than
/// cores, or the scheduler placing two of ours on one core).
@inline(__always)
private func pause(_ spins: inout Int) {
    spins += 1
    if spins < 4096 {
        archc_spin_pause()
    } else {
        sched_yield()
    }
}
