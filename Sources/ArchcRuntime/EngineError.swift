/// Why the engine or a generated model refuses to run: checked at the API boundary, since
/// the kernels behind it are built unchecked and trust what they are given.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    /// The CPU lacks instructions the kernels are compiled for.
    case unsupportedCPU(missing: [String])
    /// The input is not (N, C, H, W) with the model's C, H and W (and, for the engine, its N).
    case inputShape(expected: [Int], found: [Int])
    /// A batch or thread count outside what the engine can plan for.
    case invalid(String)

    public var description: String {
        switch self {
        case .unsupportedCPU(let missing):
            return
                "this CPU lacks \(missing.map { $0.uppercased() }.joined(separator: " and ")), which archc's kernels are compiled for (x86-64 with AVX2 and FMA)"
        case .inputShape(let expected, let found):
            return "expected an input of shape \(expected) (N, C, H, W), found \(found)"
        case .invalid(let message):
            return message
        }
    }
}
