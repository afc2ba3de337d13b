import ArchcDriver
import XCTest

final class ShardTests: XCTestCase {
    func testParsing() {
        XCTAssertEqual(Shard(parsing: "0/4"), Shard(index: 0, count: 4))
        XCTAssertEqual(Shard(parsing: "3/4"), Shard(index: 3, count: 4))
        for bad in ["4/4", "-1/4", "1/0", "1", "a/b", "1/2/3", "", "/", "0/1000001"] {
            XCTAssertNil(Shard(parsing: bad), bad)
        }
    }

    /// Every item lands in exactly one shard, in order, and shard sizes differ by at most one.
    func testShardsPartitionTheList() {
        for total in [0, 1, 2, 7, 10, 101] {
            for count in [1, 2, 3, 7, 16] {
                let items = Array(0..<total)
                let parts = (0..<count).map { Shard(index: $0, count: count).select(items) }
                XCTAssertEqual(parts.flatMap { $0 }, items, "total \(total), \(count) shards")
                let sizes = parts.map(\.count)
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1)
            }
        }
    }
}
