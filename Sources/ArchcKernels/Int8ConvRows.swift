/// An int8 im2col conv's A matrix: the NHWC input quantized once to u8 [N, H, W, Cin], then
/// each output pixel's receptive field gathered into a row of KP bytes (kh, kw, Cin order,
/// as `WeightPacking.ohwi`), taps on padding filled with the zero point (the byte for 0.0).
/// Bytes are a quarter of floats, so the gathered matrix stays small (ResNet-50's largest,
/// 56x56 x 576 at batch 1: 1.8 MB).
public enum Int8ConvRows {
    /// Scratch bytes: the quantized input, then the gathered rows.
    public static func bytes(_ g: ConvGeometry, kp: Int) -> Int { g.batch * g.inH * g.inW * g.inC + g.m * kp }

    /// Quantizes `x` and gathers the rows into `scratch` (`bytes`); returns the rows.
    public static func fill(
        _ g: ConvGeometry, x: UnsafePointer<Float>, quantization q: ActivationQuantization, kp: Int, scratch: UnsafeMutablePointer<UInt8>,
        pool: WorkerPool
    ) -> UnsafePointer<UInt8> {
        let pixels = g.batch * g.inH * g.inW, rowsPerChunk = 256
        pool.run(chunks: (pixels + rowsPerChunk - 1) / rowsPerChunk) { chunk in
            let r0 = chunk * rowsPerChunk, rows = min(rowsPerChunk, pixels - r0)
            q.quantize(x + r0 * g.inC, rows: rows, k: g.inC, ldx: g.inC, into: scratch + r0 * g.inC, ldq: g.inC, kp: g.inC)
        }
        let image = UnsafePointer(scratch), matrix = scratch + pixels * g.inC
        pool.run(chunks: (g.m + rowsPerChunk - 1) / rowsPerChunk) { chunk in
            for row in chunk * rowsPerChunk..<min(g.m, (chunk + 1) * rowsPerChunk) {
                gather(g, row: row, image: image, zero: q.zeroByte, into: matrix + row * kp, kp: kp)
            }
        }
        return UnsafePointer(matrix)
    }

    @inline(__always)
    static func gather(_ g: ConvGeometry, row: Int, image: UnsafePointer<UInt8>, zero: UInt8, into out: UnsafeMutablePointer<UInt8>, kp: Int) {
        ConvKernels.gatherRow(g, row: row, x: image, zero: zero, into: out)
        (out + g.k).update(repeating: 0, count: kp - g.k)
    }
}
