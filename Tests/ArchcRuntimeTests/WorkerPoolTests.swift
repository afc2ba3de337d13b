import ArchcRuntime
import CKernelSupport
import Foundation
import Synchronization
import XCTest

/// The persistent pool: every chunk runs exactly once, whatever the thread count, chunk
/// count or cost; calls nested in a chunk or made from two threads at once still complete;
/// dropped pools take their threads with them.
final class WorkerPoolTests: XCTestCase {
    func testEveryChunkRunsExactlyOnce() {
        for threads in [1, 2, 3, 5] {
            let pool = WorkerPool(threads: threads)
            for chunks in [1, 2, 3, 7, 64, 1000] {
                for round in 0..<20 {
                    let counts = UnsafeMutablePointer<Int32>.allocate(capacity: chunks)
                    counts.initialize(repeating: 0, count: chunks)
                    pool.run(chunks: chunks) { chunk in
                        // Uneven work (the first chunks are slow) makes workers steal.
                        if chunk < chunks / 4 && round % 2 == 0 { usleep(20) }
                        counts[chunk] += 1
                    }
                    let wrong = (0..<chunks).filter { counts[$0] != 1 }
                    XCTAssertEqual(wrong, [], "threads \(threads), chunks \(chunks): chunks run other than once")
                    counts.deallocate()
                }
            }
        }
    }

    func testEachWorkerStartsOnItsOwnRange() {
        // The caller takes chunk 0 first and holds it until the other thread has run a chunk,
        // so that thread cannot find chunk 4 stolen: its first chunk is the front of its own
        // range, [4, 8), however late the scheduler wakes it (a load-proof form of the check;
        // counting which thread ran chunk 7 failed on a loaded machine).
        let pool = WorkerPool(threads: 2)
        let caller = pthread_self()
        for _ in 0..<5 {
            let firstElsewhere = Atomic<Int>(-1)
            pool.run(chunks: 8) { chunk in
                if pthread_equal(pthread_self(), caller) != 0 {
                    guard chunk == 0 else { return }
                    let deadline = Date().addingTimeInterval(30)
                    while firstElsewhere.load(ordering: .acquiring) < 0 && Date() < deadline { usleep(100) }
                } else {
                    _ = firstElsewhere.compareExchange(expected: -1, desired: chunk, ordering: .releasing)
                }
            }
            XCTAssertEqual(firstElsewhere.load(ordering: .acquiring), 4, "the second worker should start at the front of its range")
        }
    }

    func testNestedAndConcurrentCallsComplete() {
        let pool = WorkerPool(threads: 2)
        let total = Atomic<Int>(0)
        pool.run(chunks: 4) { _ in
            pool.run(chunks: 5) { _ in total.wrappingAdd(1, ordering: .relaxed) }
        }
        XCTAssertEqual(total.load(ordering: .relaxed), 20)

        let concurrent = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<50 {
                pool.run(chunks: 10) { _ in concurrent.wrappingAdd(1, ordering: .relaxed) }
            }
        }
        XCTAssertEqual(concurrent.load(ordering: .relaxed), 4 * 50 * 10)
    }

    func testDroppedPoolsReleaseTheirThreads() throws {
        func threadCount() throws -> Int { try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count }
        guard FileManager.default.fileExists(atPath: "/proc/self/task") else { throw XCTSkip("needs /proc") }
        let before = try threadCount()
        for _ in 0..<20 {
            let pool = WorkerPool(threads: 3)
            pool.run(chunks: 6) { _ in }
        }
        // Workers leave their loop after the stop; give them a moment.
        var after = try threadCount()
        for _ in 0..<200 where after > before + 2 {
            usleep(10_000)
            after = try threadCount()
        }
        XCTAssertLessThanOrEqual(after, before + 2, "pools' threads outlived the pools")
    }

    /// The move a worker makes when it finds itself on the caller's CPU: the thread lands on
    /// another CPU, and its allowed set is what it was before.
    func testLeavingACPUMovesTheThreadAndKeepsItsAllowedSet() throws {
        let allowed = Int(archc_allowed_cpus())
        guard allowed >= 2 else { throw XCTSkip("needs two CPUs this process may use (has \(allowed))") }
        XCTAssertEqual(WorkerPool.allowedCPUs, allowed)
        for _ in 0..<20 {
            let before = archc_current_cpu()
            XCTAssertEqual(archc_leave_cpu(before), 1)
            XCTAssertNotEqual(archc_current_cpu(), before, "still on CPU \(before)")
            XCTAssertEqual(Int(archc_allowed_cpus()), allowed, "the allowed set changed")
        }
        XCTAssertEqual(archc_leave_cpu(-1), 0)
    }
}
