import ArchcDriver
import ArchcIO
import ArchcIR
import ArchcSpec
import Foundation
import XCTest

/// `.npy` inputs: shapes whose byte count overflows, and an empty batch.
final class NPYInputTests: XCTestCase {
    func testShapeWhoseByteCountOverflows() {
        // 2^61 elements: count * 4 wrapped to 0 and matched an empty data section.
        XCTAssertEqual(
            HostileFiles.message { try NPY.decode(HostileFiles.npy(shape: "(2305843009213693952,)"), file: "x.npy") },
            "x.npy: error: shape [2305843009213693952] is too large (at most 8 dimensions and 1073741824 elements)")
        XCTAssertEqual(
            HostileFiles.message { try NPY.decode(HostileFiles.npy(shape: "(1, 1, 1, 1, 1, 1, 1, 1, 1)", data: [0, 0, 0, 0]), file: "x.npy") },
            "x.npy: error: shape [1, 1, 1, 1, 1, 1, 1, 1, 1] is too large (at most 8 dimensions and 1073741824 elements)")
        XCTAssertEqual(
            HostileFiles.message { try NPY.decode(HostileFiles.npy(shape: "(1073741825,)"), file: "x.npy") },
            "x.npy: error: shape [1073741825] is too large (at most 8 dimensions and 1073741824 elements)")
    }

    func testEmptyBatchIsAnError() throws {
        let file = try HostileFiles.temporaryFolder(self).appendingPathComponent("empty.npy")
        try NPY.write(Tensor(dims: [0, 3, 8, 8], data: []), to: file.path)
        XCTAssertEqual(try NPY.read(file.path).dims, [0, 3, 8, 8], "an empty array is a valid .npy")
        XCTAssertEqual(
            HostileFiles.message { try InputBatch.open([file.path], spec: try HostileFiles.tinySpec(), inputType: TensorType([3, 8, 8])) },
            "\(file.path): error: an input batch of shape [0, 3, 8, 8] holds no image; expected (N, C, H, W) with N >= 1")
    }

    /// A header giving 'descr' twice was read with the first (numpy keeps the last: the
    /// two disagree on the data); '((((1, 4))))' was read as shape [1, 4] and deeper nesting as [].
    func testDuplicateKeysAndNestedShapeAreRefused() {
        func decode(_ header: String) -> String {
            let text = Array(header.utf8)
            let bytes = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0] + HostileFiles.le(UInt64(text.count), 2) + text + [UInt8](repeating: 0, count: 16)
            return HostileFiles.message { try NPY.decode(bytes, file: "x.npy") }
        }
        XCTAssertEqual(
            decode("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (4,), }\n"),
            "x.npy: error: header gives 'descr' twice")
        XCTAssertEqual(
            decode("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'shape': (2,), }\n"),
            "x.npy: error: header gives 'shape' twice")
        XCTAssertEqual(
            decode("{'descr': '<f4', 'fortran_order': False, 'shape': ((((1, 4)))), }\n"), "x.npy: error: cannot read shape ((((1, 4): nested parentheses")
        XCTAssertEqual(decode("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4), }\n"), "accepted")
    }
}
