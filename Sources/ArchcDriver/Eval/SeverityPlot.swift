import Foundation

/// `--plot FILE.svg`: top-1 accuracy against severity, one panel per corruption, one line
/// per model (severity 0 is the clean set when it was evaluated). Plain SVG, written here.
public enum SeverityPlot {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    static let panel = (width: 190.0, height: 150.0, left: 40.0, top: 26.0, plotWidth: 140.0, plotHeight: 100.0)

    /// nil when no result has corrupted images.
    public static func svg(_ results: [EvalResult]) -> String? {
        let names = Array(Set(results.flatMap { $0.corrupted.compactMap(\.key.corruption) })).sorted { EvalReport.order($0) < EvalReport.order($1) }
        guard !names.isEmpty else { return nil }
        let columns = min(5, names.count), rows = (names.count + columns - 1) / columns
        let width = Double(columns) * panel.width + 20, legendTop = Double(rows) * panel.height + 10
        let height = legendTop + Double(results.count) * 16 + 10
        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"10\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
        ]
        for (i, name) in names.enumerated() {
            let x0 = 10 + Double(i % columns) * panel.width, y0 = Double(i / columns) * panel.height
            svg += axes(name, x0: x0, y0: y0)
            for (m, result) in results.enumerated() { svg += line(result, name, color: palette[m % palette.count], x0: x0, y0: y0) }
        }
        for (m, result) in results.enumerated() {
            let y = legendTop + Double(m) * 16
            svg.append("<line x1=\"20\" y1=\"\(f(y))\" x2=\"40\" y2=\"\(f(y))\" stroke=\"\(palette[m % palette.count])\" stroke-width=\"2\"/>")
            svg.append("<text x=\"46\" y=\"\(f(y + 3.5))\">\(escape(result.model))</text>")
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    /// A panel's frame, title, gridlines at 0/25/50/75/100% and severity ticks 0-5.
    static func axes(_ title: String, x0: Double, y0: Double) -> [String] {
        let (left, top) = (x0 + panel.left, y0 + panel.top)
        var out = ["<text x=\"\(f(left + panel.plotWidth / 2))\" y=\"\(f(y0 + 16))\" text-anchor=\"middle\" font-weight=\"bold\">\(escape(title))</text>"]
        for percent in stride(from: 0, through: 100, by: 25) {
            let y = top + panel.plotHeight * (1 - Double(percent) / 100)
            out.append("<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + panel.plotWidth))\" y2=\"\(f(y))\" stroke=\"#ddd\"/>")
            out.append("<text x=\"\(f(left - 4))\" y=\"\(f(y + 3))\" text-anchor=\"end\">\(percent)%</text>")
        }
        for severity in 0...5 {
            out.append("<text x=\"\(f(xPosition(severity, left)))\" y=\"\(f(top + panel.plotHeight + 12))\" text-anchor=\"middle\">\(severity)</text>")
        }
        out.append("<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(panel.plotWidth))\" height=\"\(f(panel.plotHeight))\" fill=\"none\" stroke=\"#888\"/>")
        return out
    }

    /// The model's top-1 per severity of `corruption` (and clean at 0), joined.
    static func line(_ result: EvalResult, _ corruption: String, color: String, x0: Double, y0: Double) -> [String] {
        let (left, top) = (x0 + panel.left, y0 + panel.top)
        var points: [(Int, Double)] = []
        let clean = result.total(of: "imagenet")
        if clean.evaluated > 0 { points.append((0, clean.top1Accuracy)) }
        for (key, counts) in result.corrupted where key.corruption == corruption && counts.evaluated > 0 {
            points.append((key.severity ?? 0, counts.top1Accuracy))
        }
        let xy = points.sorted { $0.0 < $1.0 }.map { (xPosition($0.0, left), top + panel.plotHeight * (1 - $0.1)) }
        guard !xy.isEmpty else { return [] }
        var out = ["<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(xy.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " "))\"/>"]
        out += xy.map { "<circle cx=\"\(f($0.0))\" cy=\"\(f($0.1))\" r=\"2.5\" fill=\"\(color)\"/>" }
        return out
    }

    static func xPosition(_ severity: Int, _ left: Double) -> Double { left + 8 + Double(severity) * (panel.plotWidth - 16) / 5 }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
