import ArchcIO
import ArchcIR
import ArchcImage
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

    public struct Prediction: Sendable {
        public var index: Int
        public var label: String?
        public var probability: Double
    }

    /// Softmax probabilities of the top k classes per image, with ImageNet names for
    /// 1000-class outputs.
    public static func predictions(_ output: Tensor, k: Int) -> [[Prediction]] {
        let n = output.dims[0], width = output.count / max(n, 1)
        return (0..<n).map { b in
            let row = Array(output.data[b * width..<(b + 1) * width]).map(Double.init)
            let peak = row.max() ?? 0
            let total = row.reduce(0) { $0 + exp($1 - peak) }
            return topK(Tensor(dims: [1, width], data: output.data[b * width..<(b + 1) * width].map { $0 }), k: k)[0].map { top in
                Prediction(
                    index: top.index, label: width == 1000 ? ImageNetClasses.names[top.index] : nil,
                    probability: exp(Double(top.value) - peak) / total)
            }
        }
    }

    /// One block per image: `name: top-k` lines of probability, class index and label.
    public static func predictionsText(_ output: Tensor, files: [String], k: Int) -> String {
        var lines: [String] = []
        for (b, top) in predictions(output, k: k).enumerated() {
            lines.append(b < files.count ? IOError.printable(files[b]) : "image \(b)")
            for p in top {
                lines.append(String(format: "  %6.2f%%  %4d  ", 100 * p.probability, p.index) + (p.label ?? ""))
            }
        }
        return lines.joined(separator: "\n")
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
