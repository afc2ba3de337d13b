extension Resampler {
    /// The plain-loops twin of `resize`, the reference the tests hold it to: the whole
    /// image, both passes written out as the arithmetic reads.
    static func naiveResize(_ image: DecodedImage, width: Int, height: Int, _ interpolation: Preprocessing.Interpolation) -> [Float] {
        let horizontal = pass(
            Array(image.pixels.map(Float.init)), rows: image.height, inLength: image.width, outLength: width,
            pixelStride: 3, rowStride: image.width * 3, interpolation)
        let rounded = horizontal.map { min(255, max(0, $0.rounded())) }
        // Vertical pass: treat columns as rows by transposed indexing.
        var out = [Float](repeating: 0, count: width * height * 3)
        let coefficients = weights(inLength: image.height, outLength: height, interpolation)
        for (oy, (start, ws)) in coefficients.enumerated() {
            for x in 0..<width {
                for c in 0..<3 {
                    var sum: Float = 0
                    for (k, wgt) in ws.enumerated() { sum += rounded[((start + k) * width + x) * 3 + c] * wgt }
                    out[(oy * width + x) * 3 + c] = min(255, max(0, sum.rounded()))
                }
            }
        }
        return out
    }

    private static func pass(
        _ source: [Float], rows: Int, inLength: Int, outLength: Int, pixelStride: Int, rowStride: Int,
        _ interpolation: Preprocessing.Interpolation
    ) -> [Float] {
        let coefficients = weights(inLength: inLength, outLength: outLength, interpolation)
        var out = [Float](repeating: 0, count: rows * outLength * 3)
        for y in 0..<rows {
            for (ox, (start, ws)) in coefficients.enumerated() {
                for c in 0..<3 {
                    var sum: Float = 0
                    for (k, wgt) in ws.enumerated() { sum += source[y * rowStride + (start + k) * pixelStride + c] * wgt }
                    out[(y * outLength + ox) * 3 + c] = sum
                }
            }
        }
        return out
    }
}
