/// An 8-bit RGB drawing surface for charts: filled rectangles, anti-aliased thick lines
/// and discs, and text in `BitmapFont`. Coordinates are pixels, x to the right, y down;
/// a pixel (x, y) covers [x, x + 1) x [y, y + 1), its centre at (x + 0.5, y + 0.5).
public struct RasterCanvas: Sendable {
    public typealias Colour = (r: UInt8, g: UInt8, b: UInt8)

    /// The picture so far, (height, width, 3).
    public private(set) var image: DecodedImage

    /// A canvas filled with `background`; nil for a size over `maxPixels`.
    public init?(width: Int, height: Int, background: Colour) {
        guard width > 0, height > 0, width <= Self.maxPixels / height else { return nil }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for p in 0..<(width * height) { (pixels[3 * p], pixels[3 * p + 1], pixels[3 * p + 2]) = background }
        image = DecodedImage(width: width, height: height, pixels: pixels)
    }

    /// A chart is a few thousand pixels a side; this bounds a runaway layout.
    public static let maxPixels = 64 << 20

    /// `#rrggbb` as a colour (black if malformed).
    public static func colour(_ hex: String) -> Colour {
        let digits = hex.hasPrefix("#") ? String(hex.dropFirst()) : hex
        guard digits.count == 6, let value = UInt32(digits, radix: 16) else { return (0, 0, 0) }
        return (UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF))
    }

    /// Blends `colour` into pixel (x, y) with `coverage` in [0, 1]; outside pixels are ignored.
    public mutating func blend(_ x: Int, _ y: Int, _ colour: Colour, coverage: Double = 1) {
        guard x >= 0, y >= 0, x < image.width, y < image.height, coverage > 0 else { return }
        let a = min(1, coverage), base = (y * image.width + x) * 3
        for (c, value) in [colour.r, colour.g, colour.b].enumerated() {
            let old = Double(image.pixels[base + c])
            image.pixels[base + c] = UInt8((old + (Double(value) - old) * a).rounded())
        }
    }

    /// Fills the pixels whose centres lie in [x0, x1) x [y0, y1).
    public mutating func fill(x0: Double, y0: Double, x1: Double, y1: Double, _ colour: Colour) {
        for y in Self.centres(from: y0, to: y1, size: image.height) {
            for x in Self.centres(from: x0, to: x1, size: image.width) { blend(x, y, colour) }
        }
    }

    /// The pixel indices in 0..<size whose centres lie in [from, to).
    static func centres(from: Double, to: Double, size: Int) -> Range<Int> {
        let clamp = { (v: Double) in v.isNaN ? 0 : Int(min(Double(size), max(0, (v - 0.5).rounded(.up)))) }
        let (lo, hi) = (clamp(from), clamp(to))
        return lo..<max(lo, hi)
    }

    /// A segment `width` pixels thick with round ends: a pixel is covered by how far its
    /// centre lies inside the stroke (one pixel of soft edge).
    public mutating func line(_ a: (Double, Double), _ b: (Double, Double), width: Double, _ colour: Colour) {
        let half = width / 2
        let (dx, dy) = (b.0 - a.0, b.1 - a.1)
        let length2 = dx * dx + dy * dy
        let xs = Self.centres(from: min(a.0, b.0) - half - 1, to: max(a.0, b.0) + half + 1, size: image.width)
        let ys = Self.centres(from: min(a.1, b.1) - half - 1, to: max(a.1, b.1) + half + 1, size: image.height)
        for y in ys {
            for x in xs {
                let (px, py) = (Double(x) + 0.5, Double(y) + 0.5)
                // The nearest point of the segment to the pixel centre, as a fraction t of a -> b.
                let t = length2 > 0 ? min(1, max(0, ((px - a.0) * dx + (py - a.1) * dy) / length2)) : 0
                let (ex, ey) = (px - (a.0 + t * dx), py - (a.1 + t * dy))
                blend(x, y, colour, coverage: half + 0.5 - (ex * ex + ey * ey).squareRoot())
            }
        }
    }

    /// A filled disc of `radius` around `centre`.
    public mutating func disc(_ centre: (Double, Double), radius: Double, _ colour: Colour) {
        line(centre, centre, width: 2 * radius, colour)
    }

    /// The outline of a rectangle, one pixel wide, on the pixels its edges pass through.
    public mutating func frame(x0: Double, y0: Double, x1: Double, y1: Double, _ colour: Colour) {
        fill(x0: x0 - 0.5, y0: y0 - 0.5, x1: x1 + 0.5, y1: y0 + 0.5, colour)
        fill(x0: x0 - 0.5, y0: y1 - 0.5, x1: x1 + 0.5, y1: y1 + 0.5, colour)
        fill(x0: x0 - 0.5, y0: y0 - 0.5, x1: x0 + 0.5, y1: y1 + 0.5, colour)
        fill(x0: x1 - 0.5, y0: y0 - 0.5, x1: x1 + 0.5, y1: y1 + 0.5, colour)
    }

    public enum Anchor: Sendable { case start, middle, end }

    /// `text` in `BitmapFont`, each font pixel `scale` canvas pixels, its baseline at `y`
    /// and its start, middle or end at `x`.
    public mutating func text(_ text: String, x: Double, y: Double, scale: Int, anchor: Anchor = .start, _ colour: Colour) {
        let width = Double(BitmapFont.width(of: text) * scale)
        let left = Int((anchor == .start ? x : anchor == .middle ? x - width / 2 : x - width).rounded())
        let top = Int(y.rounded()) - BitmapFont.ascent * scale
        for (i, character) in text.enumerated() {
            let rows = BitmapFont.glyph(character)
            for (row, bits) in rows.enumerated() {
                for column in 0..<BitmapFont.glyphWidth where bits & (1 << (BitmapFont.glyphWidth - 1 - column)) != 0 {
                    let x0 = left + (i * BitmapFont.advance + column) * scale, y0 = top + row * scale
                    for dy in 0..<scale { for dx in 0..<scale { blend(x0 + dx, y0 + dy, colour) } }
                }
            }
        }
    }
}
