@testable import ArchcKernels
@testable import ArchcRuntime
import XCTest

/// The weight store carves 64-byte aligned pieces out of large chunks: pieces never overlap,
/// a request bigger than a chunk gets one of its own, and only what kernels read is counted.
final class WeightStoreTests: XCTestCase {
    func testPiecesAreAlignedAndDisjoint() {
        let store = WeightStore()
        let counts = [10, 1, 16, 0, WeightStore.chunkBytes / 4 + 5, 100_000, 3]
        let pieces = counts.map { store.allocate($0) }
        for (i, (piece, count)) in zip(pieces, counts).enumerated() {
            XCTAssertEqual(Int(bitPattern: piece) % AlignedMemory.alignment, 0, "piece \(i) is not 64-byte aligned")
            piece.update(repeating: Float(i), count: count)
        }
        for (i, (piece, count)) in zip(pieces, counts).enumerated() {
            XCTAssertEqual((0..<count).filter { piece[$0] != Float(i) }.count, 0, "piece \(i) was overwritten by another")
        }
        XCTAssertEqual(store.bytes, 0, "scratch is not counted as weights")
    }

    /// Where the system has no room the checked allocation is nil (the engine reports it),
    /// not an abort; sizes near Int.max do not overflow the huge-page rounding.
    func testCheckedAllocationIsNilWithoutRoom() throws {
        for bytes in [1 << 52, Int.max - 1, Int.max] { XCTAssertNil(AlignedMemory.bytesIfAvailable(bytes), "\(bytes)") }
        for bytes in [0, 100, 3 << 20] {
            let memory = try XCTUnwrap(AlignedMemory.bytesIfAvailable(bytes))
            XCTAssertEqual(Int(bitPattern: memory) % AlignedMemory.alignment, 0)
            memory.storeBytes(of: 7, toByteOffset: max(bytes, 1) - 1, as: UInt8.self)
            AlignedMemory.free(memory)
        }
    }

    func testPackedGemmWeightsCountOnlyThePackedCopy() {
        let store = WeightStore(backend: .packed)
        let (n, k) = (20, 7)
        let values = (0..<(n * k)).map { Float($0) }
        let weights = store.gemm(values, n: n, k: k)
        XCTAssertEqual(store.bytes, PackedGemm.packedFloats(n: n, k: k) * 4)
        let packed = try! XCTUnwrap(weights.packed)
        // Panel p holds k-major [K][16] columns p*16 ..< p*16+16, zeros past N.
        for j in 0..<32 {
            for kk in 0..<k {
                let expected = j < n ? values[j * k + kk] : 0
                XCTAssertEqual(packed.data[(j / 16) * k * 16 + kk * 16 + j % 16], expected, "column \(j), depth \(kk)")
            }
        }
        let blas = WeightStore(backend: .openblas)
        _ = blas.gemm(values, n: n, k: k)
        XCTAssertEqual(blas.bytes, n * k * 4)
    }
}
