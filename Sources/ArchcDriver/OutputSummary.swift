import ArchcIR
import Foundation

/// What `archc run` prints about an output: per image, the top classes of a vector output,
/// or the shape and range of a feature map.
public enum OutputSummary {
    public static func topK(_ output: Tensor, k: Int) -> [[(index: Int, value: Float)]] {
        let n = output.dims[0], width = output.count / max(n, 1)
        return (0..<n).map { b in
            let row = output.data[b * width..<(b + 1) * width]
            return row.enumerated().sorted { $0.element > $1.element || ($0.element == $1.element && $0.offset < $1.offset) }
                .prefix(k).map { (index: $0.offset, value: $0.element) }
        }
    }

    public static func text(_ output: Tensor, k: Int = 5) -> String {
        var lines = ["output \(output.dims)"]
        if output.dims.count == 2 {
            for (b, top) in topK(output, k: k).enumerated() {
                lines.append("  image \(b): top-\(top.count) " + top.map { String(format: "%d (%.4g)", $0.index, $0.value) }.joined(separator: ", "))
            }
        } else {
            let lo = output.data.min() ?? 0, hi = output.data.max() ?? 0
            let mean = output.data.reduce(0, +) / Float(max(output.count, 1))
            lines.append(String(format: "  min %.5g  max %.5g  mean %.5g", lo, hi, mean))
        }
        return lines.joined(separator: "\n")
    }
}
