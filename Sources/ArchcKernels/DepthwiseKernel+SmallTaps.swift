/// Depthwise 3x3 and 5x5 at stride 1 and 2 (the mobile families' kernels: EfficientNet,
/// MobileNet) with a kernel row's weights in registers.
///
/// `seven` loads an input operand for every FMA and a kernel row's weights at every tap,
/// and on 3x3 and 5x5 its per-call set-up (the kernel rows and columns some pixel needs,
/// two integer divisions each) was as long as its nine taps. Here, per half of the 16
/// channels and per kernel row, the row's 3 or 5 weights sit in registers while seven
/// output pixels take their dot products over the same buffer row. The pixels' input
/// columns overlap (at 3x3 stride 1, nine columns serve 21 FMAs), and with the stride a
/// type's constant every column's offset is a literal: the compiler loads each column once
/// (neighbouring pixels' `KernelRow.apply` read the same addresses, with no store between).
/// Taps on horizontal padding multiply the buffer's zeros, rows on vertical padding are
/// skipped, and the kernel rows an output row reads are computed once per row. Each pixel
/// sums the same taps in the same order as `pixel` and `seven` (zeros aside).
extension DepthwiseKernel {
    /// Whether `Block.smallTaps` runs this conv: full 16-channel blocks of a 3- or 5-wide
    /// kernel at stride 1 or 2, no dilation across.
    static func runsSmallTaps(_ g: ConvGeometry, width: Int) -> Bool {
        width == block && (g.kw == 3 || g.kw == 5) && (g.strideW == 1 || g.strideW == 2) && g.dilationW == 1
    }
}

/// A horizontal stride known to the compiler (so column offsets fold into the loads).
protocol ColumnStride { static var stride: Int { get } }
enum StrideOne: ColumnStride { static var stride: Int { 1 } }
enum StrideTwo: ColumnStride { static var stride: Int { 2 } }

/// A kernel row's weights for 8 channels, in registers.
protocol KernelRow {
    /// Loads the row's taps from packed weights [kw][16] (one half: `q` already offset).
    init(_ q: UnsafeRawPointer)
    /// `a += sum over taps t of x[column + t] * w[t]`, x[i] at `p + 64 i` (the buffer's pixels).
    func apply(_ a: inout SIMD8<Float>, _ p: UnsafeRawPointer, _ column: Int)
}

struct ThreeTaps: KernelRow {
    let w0: SIMD8<Float>, w1: SIMD8<Float>, w2: SIMD8<Float>

    @inline(__always)
    init(_ q: UnsafeRawPointer) {
        w0 = q.loadUnaligned(as: SIMD8<Float>.self)
        w1 = q.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
        w2 = q.loadUnaligned(fromByteOffset: 128, as: SIMD8<Float>.self)
    }

    @inline(__always)
    func apply(_ a: inout SIMD8<Float>, _ p: UnsafeRawPointer, _ column: Int) {
        a.addProduct(p.loadUnaligned(fromByteOffset: (column + 0) * 64, as: SIMD8<Float>.self), w0)
        a.addProduct(p.loadUnaligned(fromByteOffset: (column + 1) * 64, as: SIMD8<Float>.self), w1)
        a.addProduct(p.loadUnaligned(fromByteOffset: (column + 2) * 64, as: SIMD8<Float>.self), w2)
    }
}

struct FiveTaps: KernelRow {
    let w0: SIMD8<Float>, w1: SIMD8<Float>, w2: SIMD8<Float>, w3: SIMD8<Float>, w4: SIMD8<Float>

    @inline(__always)
    init(_ q: UnsafeRawPointer) {
        w0 = q.loadUnaligned(as: SIMD8<Float>.self)
        w1 = q.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
        w2 = q.loadUnaligned(fromByteOffset: 128, as: SIMD8<Float>.self)
        w3 = q.loadUnaligned(fromByteOffset: 192, as: SIMD8<Float>.self)
        w4 = q.loadUnaligned(fromByteOffset: 256, as: SIMD8<Float>.self)
    }

    @inline(__always)
    func apply(_ a: inout SIMD8<Float>, _ p: UnsafeRawPointer, _ column: Int) {
        a.addProduct(p.loadUnaligned(fromByteOffset: (column + 0) * 64, as: SIMD8<Float>.self), w0)
        a.addProduct(p.loadUnaligned(fromByteOffset: (column + 1) * 64, as: SIMD8<Float>.self), w1)
        a.addProduct(p.loadUnaligned(fromByteOffset: (column + 2) * 64, as: SIMD8<Float>.self), w2)
        a.addProduct(p.loadUnaligned(fromByteOffset: (column + 3) * 64, as: SIMD8<Float>.self), w3)
        a.addProduct(p.loadUnaligned(fromByteOffset: (column + 4) * 64, as: SIMD8<Float>.self), w4)
    }
}

extension DepthwiseKernel.Block {
    /// Output pixels 0..<7 `strips` of row oy (`out`, `residual`: the row's first pixel), 16
    /// channels. The row's set-up (kernel rows, pointers, epilogue) measured as long as a
    /// strip's nine taps when paid per strip.
    func smallTaps(oy: Int, strips: Int, out: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?) {
        switch (g.kw, g.strideW) {
        case (3, 1): row(ThreeTaps.self, StrideOne.self, oy: oy, strips: strips, out: out, residual: residual)
        case (3, _): row(ThreeTaps.self, StrideTwo.self, oy: oy, strips: strips, out: out, residual: residual)
        case (_, 1): row(FiveTaps.self, StrideOne.self, oy: oy, strips: strips, out: out, residual: residual)
        default: row(FiveTaps.self, StrideTwo.self, oy: oy, strips: strips, out: out, residual: residual)
        }
    }

    @inline(__always)
    func row<Row: KernelRow, Stride: ColumnStride>(
        _: Row.Type, _: Stride.Type, oy: Int, strips: Int, out: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?
    ) {
        let ky = kyRange(oy), n = DepthwiseKernel.pixels
        for strip in 0..<strips {
            let ox = strip * n
            seven(Row.self, Stride.self, oy: oy, ky: ky, ox: ox, out: out + ox * g.outC, residual: residual.map { $0 + ox * g.outC })
        }
    }

    /// Seven output pixels: pixel j's tap t reads buffer column `j * stride + t`.
    @inline(__always)
    func seven<Row: KernelRow, Stride: ColumnStride>(
        _: Row.Type, _: Stride.Type, oy: Int, ky: Range<Int>, ox: Int, out: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?
    ) {
        let s = Stride.stride, iy0 = oy * g.strideH - g.padTop
        for half in 0..<2 {
            let h = 32 * half
            let bias = start(half)
            var a0 = bias, a1 = bias, a2 = bias, a3 = bias, a4 = bias, a5 = bias, a6 = bias
            for ky in ky {
                let p = input(iy0 + ky * g.dilationH, ox * s - g.padLeft) + h
                let row = Row(UnsafeRawPointer(w + ky * g.kw * 16) + h)
                row.apply(&a0, p, 0)
                row.apply(&a1, p, s)
                row.apply(&a2, p, 2 * s)
                row.apply(&a3, p, 3 * s)
                row.apply(&a4, p, 4 * s)
                row.apply(&a5, p, 5 * s)
                row.apply(&a6, p, 6 * s)
            }
            store(a0, a1, a2, a3, a4, a5, a6, out: UnsafeMutableRawPointer(out) + h, residual: residual.map { UnsafeRawPointer($0) + h })
        }
    }

    /// Seven pixels' accumulators of one half (8 channels) through the epilogue to `o`,
    /// pixels `g.outC` floats apart.
    @inline(__always)
    func store(
        _ a0: SIMD8<Float>, _ a1: SIMD8<Float>, _ a2: SIMD8<Float>, _ a3: SIMD8<Float>, _ a4: SIMD8<Float>, _ a5: SIMD8<Float>,
        _ a6: SIMD8<Float>, out o: UnsafeMutableRawPointer, residual r: UnsafeRawPointer?
    ) {
        let s = 4 * g.outC
        if let clamp {
            o.storeBytes(of: clamp.apply(a0), as: SIMD8<Float>.self)
            o.storeBytes(of: clamp.apply(a1), toByteOffset: s, as: SIMD8<Float>.self)
            o.storeBytes(of: clamp.apply(a2), toByteOffset: 2 * s, as: SIMD8<Float>.self)
            o.storeBytes(of: clamp.apply(a3), toByteOffset: 3 * s, as: SIMD8<Float>.self)
            o.storeBytes(of: clamp.apply(a4), toByteOffset: 4 * s, as: SIMD8<Float>.self)
            o.storeBytes(of: clamp.apply(a5), toByteOffset: 5 * s, as: SIMD8<Float>.self)
            o.storeBytes(of: clamp.apply(a6), toByteOffset: 6 * s, as: SIMD8<Float>.self)
            return
        }
        if plain {
            o.storeBytes(of: a0, as: SIMD8<Float>.self)
            o.storeBytes(of: a1, toByteOffset: s, as: SIMD8<Float>.self)
            o.storeBytes(of: a2, toByteOffset: 2 * s, as: SIMD8<Float>.self)
            o.storeBytes(of: a3, toByteOffset: 3 * s, as: SIMD8<Float>.self)
            o.storeBytes(of: a4, toByteOffset: 4 * s, as: SIMD8<Float>.self)
            o.storeBytes(of: a5, toByteOffset: 5 * s, as: SIMD8<Float>.self)
            o.storeBytes(of: a6, toByteOffset: 6 * s, as: SIMD8<Float>.self)
            return
        }
        // The general epilogue, out of line (no residual or GELU in the mobile blocks' depthwise convs).
        func finish(_ a: SIMD8<Float>, _ i: Int) {
            let res = r.map { ($0 + i * s).assumingMemoryBound(to: Float.self) }
            o.storeBytes(of: epilogue.finish(a, residual: res), toByteOffset: i * s, as: SIMD8<Float>.self)
        }
        finish(a0, 0)
        finish(a1, 1)
        finish(a2, 2)
        finish(a3, 3)
        finish(a4, 4)
        finish(a5, 5)
        finish(a6, 6)
    }
}
