import ArchcImage
import Foundation

extension SeverityPlot {
    /// `--plot FILE.png`: the SVG's chart rasterized by archc itself, each SVG unit `scale`
    /// pixels (so (width, height) are the SVG's times `scale`): the same panels, gridlines,
    /// lines, dots and legend, labels in `BitmapFont`. nil when no result has corrupted images.
    public static func raster(_ results: [EvalResult], scale: Int = 2) -> DecodedImage? {
        guard let layout = layout(results), (1...8).contains(scale) else { return nil }
        let s = Double(scale)
        guard var canvas = RasterCanvas(width: Int(layout.width) * scale, height: Int(layout.height) * scale, background: (255, 255, 255)) else {
            return nil
        }
        let ink = RasterCanvas.colour("#000000")
        for p in layout.panels {
            for (percent, y) in gridlines(p) {
                canvas.fill(x0: p.left * s, y0: (y - 0.5) * s, x1: (p.left + panel.plotWidth) * s, y1: (y + 0.5) * s, RasterCanvas.colour("#dddddd"))
                canvas.text("\(percent)%", x: (p.left - 4) * s, y: (y + 3) * s, scale: scale, anchor: .end, ink)
            }
            for severity in 0...5 {
                canvas.text("\(severity)", x: xPosition(severity, p.left) * s, y: (p.top + panel.plotHeight + 12) * s, scale: scale, anchor: .middle, ink)
            }
            canvas.frame(x0: p.left * s, y0: p.top * s, x1: (p.left + panel.plotWidth) * s, y1: (p.top + panel.plotHeight) * s, RasterCanvas.colour("#888888"))
            canvas.text(p.title, x: (p.left + panel.plotWidth / 2) * s, y: (p.y0 + 16) * s, scale: scale, anchor: .middle, ink)
            for line in p.lines { draw(line.points, colour: RasterCanvas.colour(line.colour), scale: s, on: &canvas) }
        }
        for entry in layout.legend {
            canvas.line((20 * s, entry.y * s), (40 * s, entry.y * s), width: 2 * s, RasterCanvas.colour(entry.colour))
            canvas.text(entry.model, x: 46 * s, y: (entry.y + 3.5) * s, scale: scale, ink)
        }
        return canvas.image
    }

    /// A model's line (2 units wide) through its points, a dot (radius 2.5) on each.
    static func draw(_ points: [(x: Double, y: Double)], colour: RasterCanvas.Colour, scale s: Double, on canvas: inout RasterCanvas) {
        for (a, b) in zip(points, points.dropFirst()) { canvas.line((a.x * s, a.y * s), (b.x * s, b.y * s), width: 2 * s, colour) }
        for point in points { canvas.disc((point.x * s, point.y * s), radius: 2.5 * s, colour) }
    }
}
