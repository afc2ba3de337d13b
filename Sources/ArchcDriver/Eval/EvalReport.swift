import Foundation

/// `archc eval`'s text and CSV reports of one or more models' results.
public enum EvalReport {
    /// Per model: each set's counts and accuracies, the corruption table, CE and mCE.
    public static func text(_ results: [EvalResult]) -> String {
        var lines: [String] = []
        for result in results {
            lines.append(result.model + (result.shard.map { " (shard \($0))" } ?? ""))
            for set in result.sets {
                let c = result.total(of: set)
                let classes = result.subsets[set] == .imagenetR ? ", 200 ImageNet-R classes" : ""
                lines.append("  " + pad(set, 11) + counts(c) + classes + "  (" + (result.sources[set] ?? "-") + ")")
            }
            lines += corruptionTable(result)
        }
        if results.count > 1 { lines += [""] + paperTable(results) }
        return lines.joined(separator: "\n")
    }

    static func counts(_ c: EvalCounts) -> String {
        String(format: "%d of %d images", c.evaluated, c.found) + (c.skipped > 0 ? " (\(c.skipped) skipped)" : "")
            + String(format: "  top-1 %6.2f%%  top-5 %6.2f%%", 100 * c.top1Accuracy, 100 * c.top5Accuracy)
            + (c.nonFinite > 0 ? "  (\(c.nonFinite) with NaN or infinite outputs, counted wrong)" : "")
    }

    /// Top-1 accuracy per corruption (rows) and severity (columns), then CE and mCE.
    static func corruptionTable(_ result: EvalResult) -> [String] {
        let corrupted = result.corrupted
        guard !corrupted.isEmpty else { return [] }
        var lines = ["  top-1 by corruption and severity" + String(repeating: " ", count: 4) + "     1       2       3       4       5     CE   rel. CE"]
        let names = Array(Set(corrupted.compactMap(\.key.corruption))).sorted { order($0) < order($1) }
        let ce = result.ce, relative = result.relativeCE
        for name in names {
            var row = "    " + pad(name, 34)
            for severity in 1...5 {
                let c = corrupted.filter { $0.key.corruption == name && $0.key.severity == severity }.map(\.counts).reduce(EvalCounts(), +)
                row += c.evaluated > 0 ? String(format: " %6.2f%%", 100 * c.top1Accuracy) : "       -"
            }
            row += ce[name].map { String(format: " %6.1f%%", 100 * $0) } ?? "       -"
            row += relative[name].map { String(format: " %6.1f%%", 100 * $0) } ?? "       -"
            lines.append(row)
        }
        if let mce = result.mce { lines.append(String(format: "  mCE %.2f%% (15 corruptions, AlexNet-normalised)", 100 * mce)) }
        if let relativeMCE = result.relativeMCE { lines.append(String(format: "  relative mCE %.2f%%", 100 * relativeMCE)) }
        return lines
    }

    /// The paper's columns: IN, S-IN and IN-R/IN-SK top-1, IN-C mCE (lower is better).
    public static func paperTable(_ results: [EvalResult]) -> [String] {
        let cell = { (value: Double?) in value.map { String(format: "%8.2f", 100 * $0) } ?? "       -" }
        var lines = [pad("model", 28) + "      IN    S-IN  IN-C mCE    IN-R   IN-SK"]
        for result in results {
            let row = result.paperRow
            lines.append(pad(result.model, 28) + cell(row.imagenet) + cell(row.stylized) + "  " + cell(row.mce) + cell(row.imagenetR) + cell(row.sketch))
        }
        return lines
    }

    /// One CSV row per model, set and corruption/severity (clean sets have empty columns).
    public static func csv(_ results: [EvalResult]) -> String {
        var lines = ["model,set,corruption,severity,found,count,top1_correct,top5_correct,top1,top5,non_finite"]
        for result in results {
            for (key, c) in result.counts.sorted(by: { $0.key < $1.key }) {
                let fields = [
                    csvText(result.model), csvText(key.set), csvText(key.corruption ?? ""), key.severity.map(String.init) ?? "", "\(c.found)", "\(c.evaluated)",
                    "\(c.top1)", "\(c.top5)",
                    String(format: "%.6f", c.top1Accuracy), String(format: "%.6f", c.top5Accuracy), "\(c.nonFinite)",
                ]
                lines.append(fields.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// A text field of the CSV: quoted when it holds a comma, quote or line break (RFC 4180),
    /// and led by a `'` when it starts like a spreadsheet formula (`=`, `+`, `-`, `@`, tab,
    /// CR), so a model named `=HYPERLINK(...)` is shown, not run, where the report is opened.
    static func csvText(_ text: String) -> String {
        var field = text
        if let first = field.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { field = "'" + field }
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The benchmark's order, then others alphabetically.
    static func order(_ corruption: String) -> (Int, String) {
        (CorruptionError.benchmark.firstIndex(of: corruption) ?? CorruptionError.benchmark.count, corruption)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text.padding(toLength: width, withPad: " ", startingAt: 0)
    }
}
