import ArchcIO
import ArchcIR
import Foundation

extension OutputSummary {
    /// What a run prints for its output, whichever engine produced it: JSON (name, shape,
    /// inputs, top-k predictions and `extra`); else labelled predictions per image when
    /// `labelled` (real weights or photos) and the output is (N, F); else the raw top-k.
    public static func report(_ y: Tensor, name: String, files: [String], k: Int, json: Bool, labelled: Bool, extra: [String: Any] = [:]) -> String {
        if json {
            let predictions =
                y.dims.count == 2
                ? predictions(y, k: k).map { row in
                    row.map { ["index": $0.index, "label": $0.label ?? NSNull(), "probability": $0.probability] as [String: Any] }
                } : []
            let nonFinite = y.nonFinite?.count ?? 0
            return jsonText(
                ["name": name, "output_shape": y.dims, "inputs": files, "predictions": predictions, "non_finite_outputs": nonFinite].merging(extra) { a, _ in a
                })
        }
        if y.dims.count == 2, labelled { return predictionsText(y, files: files, k: k) }
        return text(y, k: k)
    }

    /// Why `y`'s predictions mean nothing, when some of its values are NaN or infinite (NaN
    /// compares false, so its top-k ranked whatever came first): how many, and the first
    /// image that has one. nil when every value is finite.
    public static func nonFiniteProblem(_ y: Tensor, files: [String]) -> String? {
        guard let bad = y.nonFinite else { return nil }
        let row = y.dims.count >= 2 ? bad.image : 0
        let image = row < files.count ? "\(row) (\(IOError.printable(files[row])))" : "\(row)"
        return
            "\(bad.count) of \(y.count) output values are NaN or infinite (the first in image \(image)): the predictions above mean nothing; "
            + "the weights or the input hold non-finite values, or the model overflows float32"
    }

    /// A JSON object, pretty-printed with sorted keys (stable for tests and scripts). JSON has
    /// no NaN or infinity: such numbers are written as null (the whole report was `{}`).
    public static func jsonText(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: finite(object, depth: 0), options: [.prettyPrinted, .sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// `value` with every non-finite number replaced by null (reports nest a few levels; deeper is left as it is).
    private static func finite(_ value: Any, depth: Int) -> Any {
        guard depth < 16 else { return value }
        switch value {
        case let number as Double: return number.isFinite ? number : NSNull()
        case let number as Float: return number.isFinite ? number : NSNull()
        case let object as [String: Any]: return object.mapValues { finite($0, depth: depth + 1) }
        case let array as [Any]: return array.map { finite($0, depth: depth + 1) }
        default: return value
        }
    }
}
