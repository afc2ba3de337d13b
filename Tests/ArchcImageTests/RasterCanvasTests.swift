import ArchcImage
import XCTest

/// The chart canvas: lines cover the pixels they pass through, text draws the font's
/// glyphs where anchored, nothing is drawn (or crashes) outside the canvas.
final class RasterCanvasTests: XCTestCase {
    func pixel(_ canvas: RasterCanvas, _ x: Int, _ y: Int) -> [UInt8] {
        let i = (y * canvas.image.width + x) * 3
        return Array(canvas.image.pixels[i..<i + 3])
    }

    func testLineCoversItsPixelsAndNothingFar() throws {
        var canvas = try XCTUnwrap(RasterCanvas(width: 40, height: 30, background: (255, 255, 255)))
        canvas.line((5, 10.5), (35, 10.5), width: 2, RasterCanvas.colour("#1f77b4"))
        XCTAssertEqual(pixel(canvas, 20, 10), [0x1F, 0x77, 0xB4], "on the line")
        XCTAssertEqual(pixel(canvas, 20, 13), [255, 255, 255], "2.5 pixels off a 2-pixel line")
        XCTAssertEqual(pixel(canvas, 38, 10), [255, 255, 255], "beyond its round end")
        // A diagonal: the pixel whose centre it crosses is fully covered.
        canvas.line((0, 0), (30, 30), width: 1, (0, 0, 0))
        XCTAssertEqual(pixel(canvas, 15, 15), [0, 0, 0])
        // Far outside the canvas: clipped, no crash.
        canvas.line((-1e9, -5), (1e9, 1e9), width: 3, (0, 0, 0))
        canvas.fill(x0: -.infinity, y0: .nan, x1: 5, y1: 2, (0, 0, 0))
        XCTAssertNil(RasterCanvas(width: 1 << 20, height: 1 << 20, background: (0, 0, 0)))
        XCTAssertNil(RasterCanvas(width: 0, height: 5, background: (0, 0, 0)))
    }

    func testTextDrawsGlyphsAtTheirAnchor() throws {
        XCTAssertEqual(BitmapFont.width(of: "10%"), 17)
        XCTAssertEqual(BitmapFont.glyph("Q"), BitmapFont.glyph("q"), "capitals are drawn as lowercase")
        XCTAssertEqual(BitmapFont.glyph("é"), BitmapFont.glyph("?"))
        var canvas = try XCTUnwrap(RasterCanvas(width: 30, height: 20, background: (255, 255, 255)))
        // "1" (5 wide) ends at x 20 (anchor end), so starts at x 15; baseline y 12, scale 1:
        // its stem is the glyph's column 2 (x 17), rows 0-6 (y 5-11); its base row columns 1-3.
        canvas.text("1", x: 20, y: 12, scale: 1, anchor: .end, (0, 0, 0))
        for y in 5...11 { XCTAssertEqual(pixel(canvas, 17, y), [0, 0, 0], "stem at y \(y)") }
        XCTAssertEqual(pixel(canvas, 16, 11), [0, 0, 0])
        XCTAssertEqual(pixel(canvas, 15, 5), [255, 255, 255])
        XCTAssertEqual(pixel(canvas, 17, 12), [255, 255, 255], "nothing below the baseline")
        let ink = stride(from: 0, to: canvas.image.pixels.count, by: 3).filter { canvas.image.pixels[$0] == 0 }.count
        XCTAssertEqual(ink, BitmapFont.glyph("1").map { $0.nonzeroBitCount }.reduce(0, +))
    }
}
