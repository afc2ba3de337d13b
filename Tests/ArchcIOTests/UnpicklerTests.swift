import ArchcIO
import ArchcIR
import Foundation
import XCTest

/// Pickles built to recurse, blow up or go quadratic: nesting is capped, containers are
/// released iteratively, nothing walks the object graph, dicts are hashed.
final class UnpicklerTests: XCTestCase {
    private typealias Pickle = HostileFiles.Pickle

    private func load(_ bytes: [UInt8]) -> String {
        let unpickler = Unpickler(bytes)
        return HostileFiles.message { try unpickler.load() }
    }

    /// 50,000 TUPLE1 around None: released recursively, it overflowed the stack.
    func testDeeplyNestedTuplesAreRefused() {
        let p = Pickle()
        p.none()
        p.bytes += [UInt8](repeating: 0x85, count: 50_000)
        p.stop()
        XCTAssertEqual(load(p.bytes), "tuples nested more than 1000 deep (pickle byte 1004)")
    }

    /// A 100,000-deep tuple used as a dict key (compared recursively on insert).
    func testDeepTupleAsDictKeyIsRefused() {
        let p = Pickle()
        p.op(0x7D)
        p.none()
        p.bytes += [UInt8](repeating: 0x85, count: 100_000)
        p.none()
        p.op(0x73)  // SETITEM
        p.stop()
        XCTAssertTrue(load(p.bytes).hasPrefix("tuples nested more than 1000 deep"))
    }

    /// Exactly at the limit is accepted; one more level is not.
    func testNestingLimitIsExact() {
        for (depth, accepted) in [(ReaderLimits.pickleNesting, true), (ReaderLimits.pickleNesting + 1, false)] {
            let p = Pickle()
            p.none()
            p.bytes += [UInt8](repeating: 0x85, count: depth)
            p.stop()
            XCTAssertEqual(load(p.bytes) == "accepted", accepted, "\(depth)")
        }
    }

    /// 200,000 lists each inside the previous one (built through the memo): released one by one.
    func testLongChainsOfListsAreReleasedIteratively() throws {
        let p = Pickle()
        p.op(0x5D)  // the root list
        p.op(0x32)  // DUP: the root stays below the chain's end
        for _ in 0..<200_000 {
            p.op(0x5D)
            p.put(0)
            p.op(0x61)  // APPEND the new list to the previous one
            p.op(0x30)  // POP the previous one
            p.get(0)
        }
        p.op(0x30)
        p.stop()
        let unpickler = Unpickler(p.bytes)
        guard case .list(let root) = try unpickler.load() else { return XCTFail("expected a list") }
        XCTAssertEqual(root.items.count, 1)
    }

    /// 60,000 keys in one SETITEMS: linear, not quadratic (55 s before).
    func testManyDictKeysAreHashed() throws {
        let p = Pickle()
        p.op(0x7D)
        p.mark()
        for i in 0..<60_000 {
            p.string("k\(i)")
            p.none()
        }
        p.string("k0")  // a repeated key replaces its value in place
        p.op(0x88)
        p.op(0x75)
        p.stop()
        let unpickler = Unpickler(p.bytes)
        guard case .dict(let dict) = try unpickler.load() else { return XCTFail("expected a dict") }
        XCTAssertEqual(dict.entries.count, 60_000)
        XCTAssertEqual(dict["k0"], .bool(true))
    }

    /// A legacy checkpoint whose root holds a list containing itself, and 60 levels of lists
    /// each holding the previous one twice (2^60 paths): both read at once.
    func testSelfReferenceAndSharedSublistsInLegacyCheckpoints() throws {
        let p = Pickle()
        p.op(0x7D)
        p.mark()
        p.string("w")
        p.tensor(storage: "0", elements: 1, offset: 0, shape: [1], strides: [1])
        p.string("cycle")
        p.op(0x5D)
        p.put(1)
        p.get(1)
        p.op(0x61)  // the list appended to itself
        p.string("dag")
        p.op(0x5D)
        p.put(2)
        p.op(0x30)
        for _ in 0..<60 {
            p.op(0x5D)  // a new list holding the previous one twice
            for _ in 0..<2 {
                p.get(2)
                p.op(0x61)
            }
            p.put(2)
            p.op(0x30)
        }
        p.get(2)
        p.op(0x75)
        p.stop()
        let tensors = try TorchCheckpoint.decode(HostileFiles.legacy(root: p.bytes, storage: [5]), file: "l.pth")
        XCTAssertEqual(tensors, ["w": Tensor(dims: [1], data: [5])])
    }

    func testStepLimit() {
        // NONE, POP, NONE, POP...: one opcode past the limit.
        var body: [UInt8] = [0x4E, 0x30]
        while body.count < ReaderLimits.pickleSteps { body += body }
        body.removeLast(body.count - ReaderLimits.pickleSteps)
        XCTAssertEqual(load([0x80, 0x02] + body + [0x2E]), "pickle longer than 10000000 opcodes (pickle byte 10000001)")
    }

    /// 3 MB of EMPTY_DICT (within the opcode limit) held 380 MB; 10 MB held 1.3 GB. Refused
    /// once the objects built pass `ReaderLimits.pickleHeldBytes`, at the opcode that did it.
    func testObjectsHeldAreBounded() {
        let message = load([0x80, 0x02, 0x28] + [UInt8](repeating: 0x7D, count: 3_000_000) + [0x31, 0x4E, 0x2E])
        XCTAssertTrue(message.hasPrefix("pickle builds more than 256 MiB of objects ("), message)
        let offset = Int(message.split(separator: " ").last?.dropLast() ?? "") ?? .max
        XCTAssertLessThan(offset, 1_500_000, message)
    }

    /// The limit leaves room for real checkpoints: a state dict of `ReaderLimits.tensorCount`
    /// tensors, each memoised eight times as torch.save does, is read.
    func testLargestStateDictIsWithinTheHeldLimit() throws {
        let p = Pickle()
        p.op(0x7D)
        p.mark()
        for i in 0..<ReaderLimits.tensorCount {
            p.string("t\(i)")
            p.tensor(storage: "0", elements: 1, offset: 0, shape: [1], strides: [1])
            for k in 0..<8 { p.bytes += [0x72] + HostileFiles.le(UInt64(8 * i + k), 4) }
        }
        p.op(0x75)
        p.stop()
        let unpickler = Unpickler(p.bytes)
        guard case .dict(let dict) = try unpickler.load() else { return XCTFail("not a dict") }
        XCTAssertEqual(dict.entries.count, ReaderLimits.tensorCount)
    }

    /// PROTO 99 was read as a pickle and failed later ("no state dict found"); Python's
    /// pickle knows protocols 0 to 5.
    func testProtocolAboveFiveIsRefused() {
        XCTAssertEqual(load([0x80, 99, 0x4E, 0x2E]), "unsupported pickle protocol 99 (0 to 5 exist) (pickle byte 0)")
        XCTAssertEqual(load([0x80, 5, 0x4E, 0x2E]), "accepted")
    }

    /// LONG4's length is signed: -5 was read as 4294967291 bytes.
    func testNegativeLong4LengthIsNamed() {
        XCTAssertEqual(load([0x80, 0x02, 0x8B, 0xFB, 0xFF, 0xFF, 0xFF, 0x2E]), "LONG4 with a negative length (-5) (pickle byte 2)")
    }
}
