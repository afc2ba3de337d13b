import ArchcKernels
import CKernelSupport
import Foundation
import XCTest

/// `archc_thread_scratch`: the depthwise kernel's and the GEMM's per-chunk buffers. Each
/// thread keeps its own block per slot, aligned, grown on demand, kept between calls.
final class ThreadScratchTests: XCTestCase {
    func testSlotsAreAlignedKeptAndGrown() throws {
        XCTAssertNil(archc_thread_scratch(-1, 64))
        XCTAssertNil(archc_thread_scratch(Int32(ARCHC_SCRATCH_SLOTS), 64))
        // A size that wrapped (size_t near its maximum: -1 here) or that no system has: nil,
        // and the slot keeps working.
        XCTAssertNil(archc_thread_scratch(2, -1))
        XCTAssertNil(archc_thread_scratch(2, Int.max))
        let first = try XCTUnwrap(archc_thread_scratch(2, 100))
        XCTAssertEqual(Int(bitPattern: first) % 64, 0)
        first.storeBytes(of: 0x1234_5678, as: UInt32.self)
        // A smaller or equal request on the same thread is the same block, contents kept.
        XCTAssertEqual(archc_thread_scratch(2, 0), first)
        XCTAssertEqual(archc_thread_scratch(2, 64 << 10), first)
        XCTAssertEqual(first.load(as: UInt32.self), 0x1234_5678)
        // Another slot is another block.
        let other = try XCTUnwrap(archc_thread_scratch(3, 100))
        XCTAssertNotEqual(other, first)
        // A larger one is a new block, all of it writable.
        let bytes = 3 << 20
        let grown = try XCTUnwrap(archc_thread_scratch(2, bytes))
        XCTAssertEqual(Int(bitPattern: grown) % 64, 0)
        grown.initializeMemory(as: UInt8.self, repeating: 7, count: bytes)
        XCTAssertEqual(grown.load(fromByteOffset: bytes - 1, as: UInt8.self), 7)
        XCTAssertEqual(archc_thread_scratch(2, bytes), grown)
    }

    /// The kernels' way in: each named slot is its C slot, not owned by the caller.
    func testKernelSlotsAreTheThreadsBlocks() throws {
        for (slot, raw) in [(AlignedMemory.ScratchSlot.depthwise, Int32(0)), (.gemm, 1)] {
            let (pointer, owned) = AlignedMemory.threadScratch(slot, bytes: 4096)
            XCTAssertFalse(owned)
            XCTAssertEqual(pointer, archc_thread_scratch(raw, 4096))
        }
    }

    func testEachThreadHasItsOwnBlock() throws {
        let here = try XCTUnwrap(archc_thread_scratch(0, 256))
        let there = Address()
        let done = expectation(description: "thread")
        let thread = Thread {
            let block = archc_thread_scratch(0, 256)
            block?.initializeMemory(as: UInt8.self, repeating: 1, count: 256)
            there.value = block.map { Int(bitPattern: $0) } ?? 0
            done.fulfill()
        }
        thread.start()
        wait(for: [done], timeout: 10)
        XCTAssertNotEqual(there.value, 0)
        XCTAssertNotEqual(there.value, Int(bitPattern: here))
    }

    /// The other thread's block, as an address (written before the expectation is fulfilled).
    final class Address: @unchecked Sendable {
        var value = 0
    }
}
