import ArchcIR
import Foundation

enum IOTest {
    /// The repository root, from this file's path (tests never change the working directory).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Tests/ArchcIOTests/Fixtures")

    /// A tensor of uniform values in [low, high), the same for the same seed.
    static func random(_ dims: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor(dims: dims, data: generator.uniformArray(dims.reduce(1, *), low, high))
    }
}
