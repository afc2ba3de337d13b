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
            return jsonText(["name": name, "output_shape": y.dims, "inputs": files, "predictions": predictions].merging(extra) { a, _ in a })
        }
        if y.dims.count == 2, labelled { return predictionsText(y, files: files, k: k) }
        return text(y, k: k)
    }

    /// A JSON object, pretty-printed with sorted keys (stable for tests and scripts).
    public static func jsonText(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
