/// Separable resampling as PIL does it: each output pixel is a normalised weighted sum
/// over a window whose width grows with the downscale factor (antialiasing), bilinear
/// (triangle) or bicubic (a = -0.5) weights, rounding to 8 bits between the two passes.
///
/// `resize` computes only a window of the resized image (a centre crop needs 224 x 224 of
/// 341 x 256): the horizontal pass runs on the input rows the window's vertical taps read
/// and the window's columns. Every output value is the same sum, in the same order, as
/// `naiveResize` (its twin, compared bit for bit in the tests); this is 5-10x faster and
/// most of the difference is the work outside the crop and the loops' bounds checks.
enum Resampler {
    /// A rectangle of the resized image, in its pixels.
    struct Window {
        var x, y, width, height: Int
    }

    /// The whole resized image, (height, width, 3) values in 0...255.
    static func resize(_ image: DecodedImage, width: Int, height: Int, _ interpolation: Preprocessing.Interpolation) -> [Float] {
        resize(image, width: width, height: height, interpolation, window: Window(x: 0, y: 0, width: width, height: height))
    }

    /// `window` of the image resized to width x height: (window.height, window.width, 3).
    static func resize(
        _ image: DecodedImage, width: Int, height: Int, _ interpolation: Preprocessing.Interpolation, window: Window
    ) -> [Float] {
        let columns = Taps(weights(inLength: image.width, outLength: width, interpolation)[window.x..<window.x + window.width])
        let rows = Taps(weights(inLength: image.height, outLength: height, interpolation)[window.y..<window.y + window.height])
        // The input rows the vertical pass reads.
        let first = rows.starts.min() ?? 0
        let last = zip(rows.starts, rows.counts).map { $0 + $1 }.max() ?? 0
        let horizontal = horizontalPass(image, rows: first..<last, columns)  // (last - first, window.width, 3)
        return verticalPass(horizontal, firstRow: first, rowLength: window.width * 3, rows)
    }

    /// Each output's window, flattened: output i reads `counts[i]` inputs from `starts[i]`
    /// with weights `weights[offsets[i]...]`.
    struct Taps {
        var starts: [Int] = [], counts: [Int] = [], offsets: [Int] = [], weights: [Float] = []

        init(_ windows: ArraySlice<(Int, [Float])>) {
            for (start, ws) in windows {
                starts.append(start)
                counts.append(ws.count)
                offsets.append(weights.count)
                weights += ws
            }
        }
    }

    /// Rows `rows` of the image resampled to the chosen columns, rounded to 8 bits.
    static func horizontalPass(_ image: DecodedImage, rows: Range<Int>, _ taps: Taps) -> [Float] {
        let outputs = taps.starts.count
        var out = [Float](repeating: 0, count: rows.count * outputs * 3)
        image.pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                taps.weights.withUnsafeBufferPointer { weights in
                    for y in rows {
                        let sourceRow = source.baseAddress! + y * image.width * 3
                        let targetRow = target.baseAddress! + (y - rows.lowerBound) * outputs * 3
                        for o in 0..<outputs {
                            var p = sourceRow + taps.starts[o] * 3
                            let w = weights.baseAddress! + taps.offsets[o]
                            var (r, g, b): (Float, Float, Float) = (0, 0, 0)
                            for k in 0..<taps.counts[o] {
                                r += Float(p[0]) * w[k]
                                g += Float(p[1]) * w[k]
                                b += Float(p[2]) * w[k]
                                p += 3
                            }
                            targetRow[3 * o] = min(255, max(0, r.rounded()))
                            targetRow[3 * o + 1] = min(255, max(0, g.rounded()))
                            targetRow[3 * o + 2] = min(255, max(0, b.rounded()))
                        }
                    }
                }
            }
        }
        return out
    }

    /// Each output row: its taps' rows (of `source`, which starts at input row `firstRow`)
    /// weighted and summed in tap order, a whole row at a time, then rounded to 8 bits.
    static func verticalPass(_ source: [Float], firstRow: Int, rowLength: Int, _ taps: Taps) -> [Float] {
        var out = [Float](repeating: 0, count: taps.starts.count * rowLength)
        source.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for o in 0..<taps.starts.count {
                    let row = target.baseAddress! + o * rowLength
                    for k in 0..<taps.counts[o] {
                        let input = source.baseAddress! + (taps.starts[o] + k - firstRow) * rowLength
                        let w = taps.weights[taps.offsets[o] + k]
                        for j in 0..<rowLength { row[j] += input[j] * w }
                    }
                    for j in 0..<rowLength { row[j] = min(255, max(0, row[j].rounded())) }
                }
            }
        }
        return out
    }

    /// Per output index: the first input index and the normalised weights of its window.
    static func weights(inLength: Int, outLength: Int, _ interpolation: Preprocessing.Interpolation) -> [(Int, [Float])] {
        let scale = Double(inLength) / Double(outLength)
        let filterScale = max(scale, 1)
        let support = (interpolation == .bicubic ? 2.0 : 1.0) * filterScale
        return (0..<outLength).map { i in
            let center = (Double(i) + 0.5) * scale
            let lo = max(0, Int(center - support + 0.5)), hi = min(inLength, Int(center + support + 0.5))
            var ws = (lo..<max(lo + 1, hi)).map { j -> Double in
                let x = (Double(j) - center + 0.5) / filterScale
                return interpolation == .bicubic ? cubic(x) : max(0, 1 - abs(x))
            }
            let total = ws.reduce(0, +)
            if total != 0 { ws = ws.map { $0 / total } }
            return (lo, ws.map(Float.init))
        }
    }

    static func cubic(_ x: Double) -> Double {
        let a = -0.5, t = abs(x)
        if t < 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
        if t < 2 { return (((t - 5) * t + 8) * t - 4) * a }
        return 0
    }
}
