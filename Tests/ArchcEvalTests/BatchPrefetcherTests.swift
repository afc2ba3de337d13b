@testable import ArchcDriver
import Foundation
import XCTest

final class BatchPrefetcherTests: XCTestCase {
    /// Items come back in order, in batches, the last one short; workers never run more
    /// than `depth` batches ahead of the consumer.
    func testOrderAndBoundedLookahead() {
        let lock = NSLock()
        var highest = -1
        let prefetcher = BatchPrefetcher<Int>(count: 23, batch: 4, workers: 3, depth: 2) { i in
            lock.lock()
            highest = max(highest, i)
            lock.unlock()
            usleep(UInt32((i * 7919) % 5) * 200)
            return i * 10
        }
        var out: [Int] = []
        var consumed = 0
        while let batch = prefetcher.next() {
            XCTAssertEqual(batch.count, min(4, 23 - consumed * 4))
            consumed += 1
            usleep(2000)  // a slow model: workers would run ahead if allowed
            lock.lock()
            XCTAssertLessThan(highest, (consumed + 2) * 4, "prepared beyond the window after \(consumed) batches")
            lock.unlock()
            out += batch
        }
        prefetcher.finish()
        XCTAssertEqual(out, (0..<23).map { $0 * 10 })
    }

    func testFinishEarlyStopsTheWorkers() {
        let prefetcher = BatchPrefetcher<Int>(count: 1000, batch: 2, workers: 2) { $0 }
        XCTAssertEqual(prefetcher.next(), [0, 1])
        prefetcher.finish()
    }
}
