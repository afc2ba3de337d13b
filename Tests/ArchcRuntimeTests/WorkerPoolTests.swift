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

    func testChunksAreSpreadInContiguousRanges() {
        // With equal chunks, each worker starts on its own range: chunk 0 and the last chunk
        // run on different threads.
        let pool = WorkerPool(threads: 2)
        var differed = 0
        for _ in 0..<20 {
            let threadOf = UnsafeMutablePointer<UInt>.allocate(capacity: 8)
            pool.run(chunks: 8) { chunk in
                usleep(200)
                threadOf[chunk] = UInt(pthread_self())
            }
            if threadOf[0] != threadOf[7] { differed += 1 }
            threadOf.deallocate()
        }
        XCTAssertGreaterThan(differed, 10, "the two halves of the chunks should run on two threads")
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
