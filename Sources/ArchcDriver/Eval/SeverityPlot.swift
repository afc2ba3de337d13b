import Foundation

/// `--plot FILE.svg|png`: top-1 accuracy against severity, one panel per corruption, one
/// line per model (severity 0 is the clean set when it was evaluated). The layout is
/// computed once here; `svg` writes it as text, `raster` (SeverityPlot+Raster) draws it as pixels.
public enum SeverityPlot {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    static let panel = (width: 190.0, height: 150.0, left: 40.0, top: 26.0, plotWidth: 140.0, plotHeight: 100.0)

    /// What both renderings draw, in SVG user units (pixels at scale 1).
    struct Layout {
        struct Panel {
            var title: String
            /// The panel's top-left corner.
            var x0, y0: Double
            /// One polyline per model that has points in this panel: its colour and points.
            var lines: [(colour: String, points: [(x: Double, y: Double)])]
            /// The plotting area's left and top edges.
            var left: Double { x0 + SeverityPlot.panel.left }
            var top: Double { y0 + SeverityPlot.panel.top }
        }

        var width, height: Double
        var panels: [Panel]
        /// One entry per model, top to bottom: the legend line's height, colour and label.
        var legend: [(y: Double, colour: String, model: String)]
    }

    /// nil when no result has corrupted images.
    static func layout(_ results: [EvalResult]) -> Layout? {
        let names = Array(Set(results.flatMap { $0.corrupted.compactMap(\.key.corruption) })).sorted { EvalReport.order($0) < EvalReport.order($1) }
        guard !names.isEmpty else { return nil }
        let columns = min(5, names.count), rows = (names.count + columns - 1) / columns
        let width = Double(columns) * panel.width + 20, legendTop = Double(rows) * panel.height + 10
        let panels = names.enumerated().map { i, name in
            let x0 = 10 + Double(i % columns) * panel.width, y0 = Double(i / columns) * panel.height
            let lines = results.enumerated().map { m, result in (colour: palette[m % palette.count], points: points(result, name, x0: x0, y0: y0)) }
            return Layout.Panel(title: name, x0: x0, y0: y0, lines: lines.filter { !$0.points.isEmpty })
        }
        let legend = results.enumerated().map { m, result in (y: legendTop + Double(m) * 16, colour: palette[m % palette.count], model: result.model) }
        return Layout(width: width, height: legendTop + Double(results.count) * 16 + 10, panels: panels, legend: legend)
    }

    /// The model's top-1 per severity of `corruption` (and clean at 0), left to right.
    static func points(_ result: EvalResult, _ corruption: String, x0: Double, y0: Double) -> [(x: Double, y: Double)] {
        let (left, top) = (x0 + panel.left, y0 + panel.top)
        var points: [(Int, Double)] = []
        let clean = result.total(of: "imagenet")
        if clean.evaluated > 0 { points.append((0, clean.top1Accuracy)) }
        for (key, counts) in result.corrupted where key.corruption == corruption && counts.evaluated > 0 {
            points.append((key.severity ?? 0, counts.top1Accuracy))
        }
        return points.sorted { $0.0 < $1.0 }.map { (xPosition($0.0, left), top + panel.plotHeight * (1 - $0.1)) }
    }

    static func xPosition(_ severity: Int, _ left: Double) -> Double { left + 8 + Double(severity) * (panel.plotWidth - 16) / 5 }

    /// The gridlines' percentages and heights in a panel.
    static func gridlines(_ p: Layout.Panel) -> [(percent: Int, y: Double)] {
        stride(from: 0, through: 100, by: 25).map { ($0, p.top + panel.plotHeight * (1 - Double($0) / 100)) }
    }

    /// nil when no result has corrupted images.
    public static func svg(_ results: [EvalResult]) -> String? {
        guard let layout = layout(results) else { return nil }
        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(layout.width))\" height=\"\(Int(layout.height))\" font-family=\"sans-serif\" font-size=\"10\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
        ]
        for p in layout.panels {
            svg += axes(p)
            for line in p.lines { svg += polyline(line.points, colour: line.colour) }
        }
        for entry in layout.legend {
            svg.append("<line x1=\"20\" y1=\"\(f(entry.y))\" x2=\"40\" y2=\"\(f(entry.y))\" stroke=\"\(entry.colour)\" stroke-width=\"2\"/>")
            svg.append("<text x=\"46\" y=\"\(f(entry.y + 3.5))\">\(escape(entry.model))</text>")
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    /// A panel's frame, title, gridlines at 0/25/50/75/100% and severity ticks 0-5.
    static func axes(_ p: Layout.Panel) -> [String] {
        var out = ["<text x=\"\(f(p.left + panel.plotWidth / 2))\" y=\"\(f(p.y0 + 16))\" text-anchor=\"middle\" font-weight=\"bold\">\(escape(p.title))</text>"]
        for (percent, y) in gridlines(p) {
            out.append("<line x1=\"\(f(p.left))\" y1=\"\(f(y))\" x2=\"\(f(p.left + panel.plotWidth))\" y2=\"\(f(y))\" stroke=\"#ddd\"/>")
            out.append("<text x=\"\(f(p.left - 4))\" y=\"\(f(y + 3))\" text-anchor=\"end\">\(percent)%</text>")
        }
        for severity in 0...5 {
            out.append("<text x=\"\(f(xPosition(severity, p.left)))\" y=\"\(f(p.top + panel.plotHeight + 12))\" text-anchor=\"middle\">\(severity)</text>")
        }
        out.append(
            "<rect x=\"\(f(p.left))\" y=\"\(f(p.top))\" width=\"\(f(panel.plotWidth))\" height=\"\(f(panel.plotHeight))\" fill=\"none\" stroke=\"#888\"/>")
        return out
    }

    /// A model's line through its points, a dot on each.
    static func polyline(_ xy: [(x: Double, y: Double)], colour: String) -> [String] {
        var out = ["<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(xy.map { "\(f($0.x)),\(f($0.y))" }.joined(separator: " "))\"/>"]
        out += xy.map { "<circle cx=\"\(f($0.x))\" cy=\"\(f($0.y))\" r=\"2.5\" fill=\"\(colour)\"/>" }
        return out
    }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
