import XCTest

@testable import ArchcRuntime

/// The memory plan looks up overlapping lifetimes by where they start; its naive twin checks
/// every placed interval. They must place every value at the same offset.
final class MemoryPlanTwinTests: XCTestCase {
    func testPlacementsEqualTheNaivePlanOnRandomLifetimes() {
        var state: UInt64 = 12345
        func random(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        for round in 0..<200 {
            let count = 1 + random(150)
            let intervals = (0..<count).map { value -> MemoryPlan.Interval in
                let first = random(count + 2) - 1
                // Mostly short lifetimes, some longer than the short bound, a few across everything.
                let span = [random(4), random(3 * MemoryPlan.shortLifetime), random(count + 2)][random(10) < 7 ? 0 : random(2) + 1]
                let bytes = [4, 60, 64, 100, 4096][random(5)] * (1 + random(8))
                return MemoryPlan.Interval(value: value, bytes: bytes, first: first, last: first + span)
            }
            let plan = MemoryPlan(intervals)
            let naive = Self.naivePlan(intervals)
            XCTAssertEqual(plan.offsets, naive.offsets, "round \(round)")
            XCTAssertEqual(plan.arenaBytes, naive.arenaBytes, "round \(round)")
            XCTAssertEqual(plan.unplannedBytes, naive.unplannedBytes, "round \(round)")
            // And the plan is a plan: no two overlapping lifetimes share a byte.
            for a in intervals {
                for b in intervals where a.value < b.value && a.first <= b.last && b.first <= a.last && a.bytes > 0 && b.bytes > 0 {
                    let (x, y) = (plan.offsets[a.value]!, plan.offsets[b.value]!)
                    XCTAssertTrue(x + a.bytes <= y || y + b.bytes <= x, "round \(round): values \(a.value) and \(b.value) overlap")
                }
            }
        }
    }

    func testAPlanOfNothingIsEmpty() {
        let plan = MemoryPlan([])
        XCTAssertEqual(plan.arenaBytes, 0)
        XCTAssertTrue(plan.offsets.isEmpty)
    }

    /// Every placed interval checked for each new one (the plan before it was indexed).
    static func naivePlan(_ intervals: [MemoryPlan.Interval]) -> (offsets: [Int: Int], arenaBytes: Int, unplannedBytes: Int) {
        var offsets: [Int: Int] = [:]
        var arena = 0, unplanned = 0
        var placed: [(MemoryPlan.Interval, Int)] = []
        for interval in intervals.sorted(by: { ($0.bytes, $1.first) > ($1.bytes, $0.first) }) {
            let size = MemoryPlan.aligned(interval.bytes)
            let conflicts = placed.filter { $0.0.first <= interval.last && interval.first <= $0.0.last }
                .map { ($0.1, $0.1 + MemoryPlan.aligned($0.0.bytes)) }.sorted { $0.0 < $1.0 }
            var offset = 0
            for (start, end) in conflicts {
                if offset + size <= start { break }
                offset = max(offset, end)
            }
            offsets[interval.value] = offset
            placed.append((interval, offset))
            arena = max(arena, offset + size)
            unplanned += size
        }
        return (offsets, arena, unplanned)
    }
}
