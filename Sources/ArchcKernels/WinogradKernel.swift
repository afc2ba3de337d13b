import CKernelSupport

/// 3x3 convolutions (one group, no dilation) by Winograd on NHWC data: F(4x4, 3x3) or F(2x2,
/// 3x3) at stride 1, F(2x2, 3x3) by phases at stride 2 (`Tile.f2x2s2`). At stride 1 each 4x4
/// (2x2) block of output pixels (a tile) comes from a 6x6 (4x4) window of input, `Y = A^T
/// [(G g G^T) . (B^T d B)] A`, so a tile costs 36 (16) multiplies per (Cin, Cout) pair instead
/// of 144 (36): 4x (2.25x) fewer; 3x (1.7x) on a 7x7 map, whose tiles overhang it. F(2x2)'s
/// transformed weights are 16/9 of the conv's weights, F(4x4)'s 4x: where weights are read
/// more often than they are used (few tiles), the smaller tile wins.
///
/// Convs whose transformed weights are small (ResNet-50's layer1) run fused per chunk of
/// tiles on one thread (`runFused`); the others in three phases per group of tiles, each
/// split over the pool:
/// 1. input transform: every tile's window, all channels, into `V[rowsPerTile][tiles][Cin]`
///    (one row per point and tile; at stride 2 a point's GEMM holds `rows[p]` rows per tile,
///    from `prefix[p]` on: `Layout`);
/// 2. one GEMM per point `M[p] = V[p] * U[p]^T` on the packed micro-kernel (`U` = the
///    transformed weights, packed at load: `WinogradWeights`), one point per chunk;
/// 3. output transform: `A^T M A` per tile, then bias, activation, residual and post-activation
///    in registers before the only store (the epilogue of `PackedGemm`, kept).
/// Tiles are processed in groups whose `V` and `M` fit in `groupBytes`, so scratch stays
/// bounded at any batch and in the last-level cache. Every chunk boundary depends on the
/// shape alone, so results are bitwise identical for any thread count.
public enum WinogradKernel {
    /// The output tile: F(4x4, 3x3) or F(2x2, 3x3) at stride 1, or F(2x2, 3x3) at stride 2.
    ///
    /// At stride 2 (`f2x2s2`) a 2x2 output tile reads a 5x5 window. Along each side, output 0
    /// takes `w0 i0 + w1 i1 + w2 i2` and output 1 `w0 i2 + w1 i3 + w2 i4`: the odd samples
    /// meet only `w1` (one multiply each), the even ones `w0` and `w2`, a 2-tap filter done as
    /// F(2, 2) (`i0 - i2`, `i2`, `i4 - i2` times `w0`, `w0 + w2`, `w2`: 3 multiplies for 2
    /// outputs). Per side 5 points of 4 weight classes (`w1` for two points), so a tile costs
    /// 25 multiplies per (Cin, Cout) pair instead of 36 with 16 weight matrices (16/9 of the
    /// conv's weights); the two points of a class share its GEMM (more rows, one matrix).
    public enum Tile: String, Sendable, CaseIterable {
        case f4x4, f2x2, f2x2s2

        /// Output pixels per tile side.
        public var size: Int { self == .f4x4 ? 4 : 2 }
        /// The conv's stride.
        public var stride: Int { self == .f2x2s2 ? 2 : 1 }
        /// Input pixels per window side.
        public var window: Int { (size - 1) * stride + 3 }
        /// Weight classes per side: 6 (F(4x4)) or 4.
        var side: Int { self == .f4x4 ? 6 : 4 }
        /// Transformed weight matrices: GEMMs per group of tiles.
        public var points: Int { side * side }
        /// Points of one side in weight class `c` (only stride 2's first class has 2).
        func pointsInClass(_ c: Int) -> Int { self == .f2x2s2 && c == 0 ? 2 : 1 }
        /// Rows of `V` (and `M`) per tile: 36, 16 or 25.
        public var rowsPerTile: Int { window * window }

        /// Tiles over `g`'s output at its batch (a tile may overhang the map's bottom or right).
        public func tiles(_ g: ConvGeometry) -> Int { g.batch * tilesAlong(g.outH) * tilesAlong(g.outW) }

        /// Tiles along an output side of `length` pixels.
        func tilesAlong(_ length: Int) -> Int { (length + size - 1) / size }

        /// Whether this tile computes `g`: 3x3, its stride, no dilation, one group.
        public func applies(_ g: ConvGeometry) -> Bool {
            g.groups == 1 && g.kh == 3 && g.kw == 3 && g.strideH == stride && g.strideW == stride && g.dilationH == 1 && g.dilationW == 1
        }
    }

    /// Tiles per chunk of the input and output transforms.
    static let tilesPerChunk = 8
    /// `V` and `M` of one group of tiles take at most this much (and at least 6 tiles). 10 MiB
    /// holds ResNet-50's layer3 at batch 8 (128 tiles) in one group, so its 9.4 MiB of
    /// transformed weights are read once, and layer2's 392 tiles in 2 groups instead of 3:
    /// Winograd / direct time at batch 8, 2 threads, 4 alternating rounds, 0.50-0.77x ->
    /// 0.50-0.57x (layer2) and 0.56-0.79x -> 0.48-0.55x (layer3) against 6 MiB.
    static let groupBytes = 10 << 20
    /// A fused chunk's `V` takes at most this much (and at least 6 tiles): it stays in L2
    /// (512 KiB) while the points' GEMMs for one 16-channel panel of `M` pass over it.
    static let fusedInputBytes = 384 << 10
    /// Fused calls split their chunks into at most this many parts (fixed by the shape).
    static let fusedParts = 8

    /// True for the convs this kernel computes: 3x3, stride 1 or 2, no dilation, one group.
    public static func applies(_ g: ConvGeometry) -> Bool {
        Tile.allCases.contains { $0.applies(g) }
    }

    /// How a conv's output splits into tiles and groups of tiles, and its padded row widths.
    struct Layout {
        let tile: Tile
        /// GEMMs (`tile.points`) and rows of `V` per tile (`tile.rowsPerTile`).
        let points: Int, rowsPerTile: Int
        /// Per point: its rows per tile, and the rows per tile of the points before it (`V[p]`
        /// starts that many tile-rows into `V`).
        let rows: [Int], prefix: [Int]
        let tilesH: Int, tilesW: Int
        /// Tiles of the whole batch, and per group.
        let tiles: Int, group: Int
        /// Channels rounded up to whole vectors: the row widths of `V` and `M`.
        let cin8: Int, cout8: Int

        /// Fused: tiles per chunk, chunks, and parts (0 when the conv runs in three phases).
        let chunkTiles: Int, chunks: Int, parts: Int

        init(_ g: ConvGeometry, _ tile: Tile) {
            (self.tile, points, rowsPerTile) = (tile, tile.points, tile.rowsPerTile)
            let rows = (0..<tile.points).map { tile.pointsInClass($0 / tile.side) * tile.pointsInClass($0 % tile.side) }
            (self.rows, prefix) = (rows, rows.indices.map { rows[..<$0].reduce(0, +) })
            (tilesH, tilesW) = (tile.tilesAlong(g.outH), tile.tilesAlong(g.outW))
            tiles = tile.tiles(g)
            (cin8, cout8) = ((g.inC + 7) / 8 * 8, (g.outC + 7) / 8 * 8)
            let fit = WinogradKernel.groupBytes / (4 * rowsPerTile * (cin8 + cout8))
            group = min(tiles, max(PackedGemm.mr, fit / PackedGemm.mr * PackedGemm.mr))
            // Fused chunks: as few as fit, an even count (two cores), of equal whole row tiles.
            let chunkFit = max(PackedGemm.mr, WinogradKernel.fusedInputBytes / (4 * rowsPerTile * cin8))
            var count = (tiles + chunkFit - 1) / chunkFit
            if count > 1 { count += count % 2 }
            chunkTiles = ((tiles + count - 1) / count + PackedGemm.mr - 1) / PackedGemm.mr * PackedGemm.mr
            // Fused when one depth block holds Cin and the weights, read once per chunk, cost
            // less per tile than V and M written to and read back from the last-level cache.
            let weightBytesPerTile = 4 * points * g.inC * cout8 / chunkTiles
            let phaseBytesPerTile = 2 * 4 * rowsPerTile * (cin8 + cout8)
            if g.inC <= PackedGemm.kc && weightBytesPerTile < phaseBytesPerTile {
                chunks = (tiles + chunkTiles - 1) / chunkTiles
                parts = min(chunks, WinogradKernel.fusedParts)
            } else {
                (chunks, parts) = (0, 0)
            }
        }

        var fused: Bool { parts > 0 }
        /// Scratch floats of one fused part: `V[rowsPerTile][chunkTiles][cin8]` and
        /// `M[rowsPerTile][chunkTiles][16]`.
        var partFloats: Int { rowsPerTile * chunkTiles * (cin8 + PackedGemm.nr) }

        /// Image, first output row and column, and the rows and columns inside the map of a tile.
        @inline(__always)
        func outputTile(_ t: Int, _ g: ConvGeometry) -> (n: Int, oy0: Int, ox0: Int, rows: Int, cols: Int) {
            let (n, ty, tx) = position(t)
            let oy0 = ty * tile.size, ox0 = tx * tile.size
            return (n, oy0, ox0, min(tile.size, g.outH - oy0), min(tile.size, g.outW - ox0))
        }

        /// Image, tile row and tile column of a tile.
        @inline(__always)
        func position(_ tile: Int) -> (n: Int, ty: Int, tx: Int) {
            let perImage = tilesH * tilesW
            let n = tile / perImage, r = tile - n * perImage
            let ty = r / tilesW
            return (n, ty, r - ty * tilesW)
        }
    }

    /// Scratch floats `run` needs with `tile`: `V` and `M` of one group, and a row of zeros
    /// for padding.
    public static func scratchFloats(_ g: ConvGeometry, tile: Tile) -> Int {
        let l = Layout(g, tile)
        if l.fused { return l.parts * l.partFloats + l.cin8 }
        return l.rowsPerTile * l.group * (l.cin8 + l.cout8) + l.cin8
    }

    /// `y = epilogue(conv3x3(x))` with the tile `weight` was transformed for, `residual` (if any)
    /// laid out as y; `scratch` holds `scratchFloats(g, tile: weight.tile)` floats (64-byte aligned).
    public static func run(
        _ g: ConvGeometry, x: UnsafePointer<Float>, weight: WinogradWeights, y: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?, epilogue: EpilogueKernel, scratch: UnsafeMutablePointer<Float>, pool: WorkerPool
    ) {
        let l = Layout(g, weight.tile)
        if l.fused { return runFused(g, l, x: x, weight: weight, y: y, residual: residual, epilogue: epilogue, scratch: scratch, pool: pool) }
        let v = scratch, m = scratch + l.rowsPerTile * l.group * l.cin8
        let zeros = m + l.rowsPerTile * l.group * l.cout8
        zeros.update(repeating: 0, count: l.cin8)
        let plain = EpilogueKernel(bias: nil, activation: nil, postActivation: nil)
        var first = 0
        while first < l.tiles {
            let count = min(l.group, l.tiles - first)
            let chunks = (count + tilesPerChunk - 1) / tilesPerChunk
            pool.run(chunks: chunks) { chunk in
                let tiles = chunk * tilesPerChunk..<min(count, (chunk + 1) * tilesPerChunk)
                transformInput(g, l, x: x, zeros: UnsafePointer(zeros), v: v, pointStride: l.group * l.cin8, first: first, tiles: tiles)
            }
            // One point per chunk: each GEMM runs whole on one thread (the nested call runs
            // inline), its split fixed by its shape.
            pool.run(chunks: l.points) { point in
                PackedGemm.multiply(
                    m: count * l.rows[point], a: v + l.prefix[point] * l.group * l.cin8, lda: l.cin8, weight.matrix(point),
                    c: m + l.prefix[point] * l.group * l.cout8, ldc: l.cout8, epilogue: plain, residual: nil, pool: pool)
            }
            pool.run(chunks: chunks) { chunk in
                let tiles = chunk * tilesPerChunk..<min(count, (chunk + 1) * tilesPerChunk)
                transformOutput(
                    g, l, m: UnsafePointer(m), pointStride: l.group * l.cout8, tileStride: l.cout8, channels: 0..<g.outC, y: y, residual: residual,
                    epilogue: epilogue, first: first, tiles: tiles)
            }
            first += count
        }
    }

    /// The fused schedule (`Layout.fused`): each part runs its chunks of tiles on one thread,
    /// and per chunk the input transform into its own `V`, then per 16-channel panel the
    /// points' products into a small `M` and the output transform of that panel, so `V` stays
    /// in L2 and `M` in L1 instead of both passing through the last-level cache. Each product
    /// sums Cin in the same order as the three-phase GEMM: the same bits.
    static func runFused(
        _ g: ConvGeometry, _ l: Layout, x: UnsafePointer<Float>, weight: WinogradWeights, y: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?, epilogue: EpilogueKernel, scratch: UnsafeMutablePointer<Float>, pool: WorkerPool
    ) {
        let zeros = UnsafePointer(scratch + l.parts * l.partFloats)
        (scratch + l.parts * l.partFloats).update(repeating: 0, count: l.cin8)
        let inputStride = l.chunkTiles * l.cin8, productStride = l.chunkTiles * PackedGemm.nr
        pool.run(chunks: l.parts) { part in
            let v = scratch + part * l.partFloats, m = v + l.rowsPerTile * inputStride
            let pointers = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: PackedGemm.mr)
            let lengths = UnsafeMutablePointer<Int>.allocate(capacity: 1)
            let sums = AlignedMemory.floats(PackedGemm.mr * 2 * PackedGemm.nr)
            defer {
                pointers.deallocate()
                lengths.deallocate()
                AlignedMemory.free(sums)
            }
            lengths[0] = g.inC
            let packed = PackedGemm.packedFloats(n: g.outC, k: g.inC)
            for chunk in part * l.chunks / l.parts..<(part + 1) * l.chunks / l.parts {
                let first = chunk * l.chunkTiles, count = min(l.chunkTiles, l.tiles - first)
                transformInput(g, l, x: x, zeros: zeros, v: v, pointStride: inputStride, first: first, tiles: 0..<count)
                for panel in 0..<(g.outC + PackedGemm.nr - 1) / PackedGemm.nr {
                    let c0 = panel * PackedGemm.nr
                    for point in 0..<l.points {
                        let b = UnsafePointer(weight.data) + point * packed + panel * g.inC * PackedGemm.nr
                        let a = UnsafePointer(v + l.prefix[point] * inputStride), c = m + l.prefix[point] * productStride
                        let rows = count * l.rows[point]
                        var r = 0
                        while r < rows {
                            for i in 0..<PackedGemm.mr { pointers[i] = a + min(r + i, rows - 1) * l.cin8 }
                            let out = PackedGemm.TileOutput(
                                c: c + r * PackedGemm.nr, ldc: PackedGemm.nr, rows: min(PackedGemm.mr, rows - r), cols: PackedGemm.nr, accumulate: false,
                                last: false, epilogue: epilogue, bias: nil, residual: nil)
                            if AVX512.enabled {
                                archc_gemm_tile_avx512(1, lengths, pointers, 1, 0, b, 0, 1, sums, nil)
                                out.store(sums: sums, stride: 2 * PackedGemm.nr)
                            } else {
                                PackedGemm.tile(segments: 1, lengths: lengths, pointers: pointers, panel: b, out: out)
                            }
                            r += PackedGemm.mr
                        }
                    }
                    transformOutput(
                        g, l, m: UnsafePointer(m) - c0, pointStride: productStride, tileStride: PackedGemm.nr,
                        channels: c0..<min(g.outC, c0 + PackedGemm.nr), y: y, residual: residual, epilogue: epilogue, first: first, tiles: 0..<count)
                }
            }
        }
    }

    // MARK: - Transforms

    /// `B^T d B` for the tiles `first + tiles` of the group: row t of `V[p]` (p = 0..<points;
    /// rows `t * rows[p]..<(t + 1) * rows[p]` at stride 2) gets tile t's transformed point p,
    /// all channels (lanes past Cin are zeros). `V[p]` starts `prefix[p] * pointStride` in.
    static func transformInput(
        _ g: ConvGeometry, _ l: Layout, x: UnsafePointer<Float>, zeros: UnsafePointer<Float>, v: UnsafeMutablePointer<Float>, pointStride: Int,
        first: Int, tiles: Range<Int>
    ) {
        switch l.tile {
        case .f4x4: transformInput4(g, l, x: x, zeros: zeros, v: v, pointStride: pointStride, first: first, tiles: tiles)
        case .f2x2: transformInput2(g, l, x: x, zeros: zeros, v: v, pointStride: pointStride, first: first, tiles: tiles)
        case .f2x2s2: transformInputStride2(g, l, x: x, zeros: zeros, v: v, pointStride: pointStride, first: first, tiles: tiles)
        }
    }

    /// `A^T M A` for the tiles `first + tiles` of the group, `channels` of them (a multiple of 8
    /// from its start; channel c of tile t's point p at `m + p * pointStride + t * tileStride + c`,
    /// at stride 2 `m + prefix[p] * pointStride + (t * rows[p] + row) * tileStride + c`),
    /// finished by the epilogue and stored where they fall inside the output (a tile may
    /// overhang its bottom or right edge).
    static func transformOutput(
        _ g: ConvGeometry, _ l: Layout, m: UnsafePointer<Float>, pointStride: Int, tileStride: Int, channels: Range<Int>,
        y: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, epilogue: EpilogueKernel, first: Int, tiles: Range<Int>
    ) {
        switch l.tile {
        case .f4x4:
            transformOutput4(
                g, l, m: m, pointStride: pointStride, tileStride: tileStride, channels: channels, y: y, residual: residual, epilogue: epilogue,
                first: first, tiles: tiles)
        case .f2x2:
            transformOutput2(
                g, l, m: m, pointStride: pointStride, tileStride: tileStride, channels: channels, y: y, residual: residual, epilogue: epilogue,
                first: first, tiles: tiles)
        case .f2x2s2:
            transformOutputStride2(
                g, l, m: m, pointStride: pointStride, tileStride: tileStride, channels: channels, y: y, residual: residual, epilogue: epilogue,
                first: first, tiles: tiles)
        }
    }

    /// Tile `tile`'s input window (`l.tile.window` pixels square, row-major) into `taps`: each
    /// pixel's channels, or `zeros` where the window leaves the map.
    @inline(__always)
    static func gatherWindow(
        _ g: ConvGeometry, _ l: Layout, x: UnsafePointer<Float>, zeros: UnsafePointer<Float>, tile: Int,
        into taps: UnsafeMutablePointer<UnsafePointer<Float>>
    ) {
        let (n, ty, tx) = l.position(tile)
        let window = l.tile.window, step = l.tile.size * l.tile.stride
        let iy0 = ty * step - g.padTop, ix0 = tx * step - g.padLeft
        let image = x + n * g.inH * g.inW * g.inC
        for i in 0..<window {
            let iy = iy0 + i
            for j in 0..<window {
                let ix = ix0 + j
                taps[i * window + j] = iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW ? image + (iy * g.inW + ix) * g.inC : zeros
            }
        }
    }

    /// `transformInput` for F(4x4, 3x3): 6x6 windows, 36 points.
    static func transformInput4(
        _ g: ConvGeometry, _ l: Layout, x: UnsafePointer<Float>, zeros: UnsafePointer<Float>, v: UnsafeMutablePointer<Float>, pointStride: Int,
        first: Int, tiles: Range<Int>
    ) {
        let taps = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: 36)  // the window's 36 pixels
        let e = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: 36)  // d B, row-major 6x6
        defer {
            taps.deallocate()
            e.deallocate()
        }
        for t in tiles {
            gatherWindow(g, l, x: x, zeros: zeros, tile: first + t, into: taps)
            let out = v + t * l.cin8
            var c = 0
            while c < g.inC {
                let lanes = min(8, g.inC - c)
                for i in 0..<6 {
                    let row = taps + i * 6
                    let r = forward(
                        load(row[0] + c, lanes), load(row[1] + c, lanes), load(row[2] + c, lanes), load(row[3] + c, lanes),
                        load(row[4] + c, lanes), load(row[5] + c, lanes))
                    (e[i * 6], e[i * 6 + 1], e[i * 6 + 2], e[i * 6 + 3], e[i * 6 + 4], e[i * 6 + 5]) = r
                }
                for k in 0..<6 {
                    let s = forward(e[k], e[6 + k], e[12 + k], e[18 + k], e[24 + k], e[30 + k])
                    let column = out + k * pointStride + c
                    store(s.0, column)
                    store(s.1, column + 6 * pointStride)
                    store(s.2, column + 12 * pointStride)
                    store(s.3, column + 18 * pointStride)
                    store(s.4, column + 24 * pointStride)
                    store(s.5, column + 30 * pointStride)
                }
                c += 8
            }
        }
    }

    /// `transformOutput` for F(4x4, 3x3): 4x4 tiles from 36 points.
    static func transformOutput4(
        _ g: ConvGeometry, _ l: Layout, m: UnsafePointer<Float>, pointStride: Int, tileStride: Int, channels: Range<Int>,
        y: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, epilogue: EpilogueKernel, first: Int, tiles: Range<Int>
    ) {
        let f = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: 24)  // A^T applied along rows: 6 x 4
        defer { f.deallocate() }
        for t in tiles {
            let (n, oy0, ox0, rows, cols) = l.outputTile(first + t, g)
            let src = m + t * tileStride
            var c = channels.lowerBound
            while c < channels.upperBound {
                for i in 0..<6 {
                    let p = src + i * 6 * pointStride + c
                    let o = backward(
                        archc_load8(p), archc_load8(p + pointStride), archc_load8(p + 2 * pointStride), archc_load8(p + 3 * pointStride),
                        archc_load8(p + 4 * pointStride), archc_load8(p + 5 * pointStride))
                    (f[i * 4], f[i * 4 + 1], f[i * 4 + 2], f[i * 4 + 3]) = o
                }
                let lanes = min(8, channels.upperBound - c)
                for j in 0..<cols {
                    let z = backward(f[j], f[4 + j], f[8 + j], f[12 + j], f[16 + j], f[20 + j])
                    let base = ((n * g.outH + oy0) * g.outW + ox0 + j) * g.outC + c
                    let rowStride = g.outW * g.outC
                    finish(z.0, y: y, at: base, residual: residual, epilogue: epilogue, channel: c, lanes: lanes)
                    if rows > 1 { finish(z.1, y: y, at: base + rowStride, residual: residual, epilogue: epilogue, channel: c, lanes: lanes) }
                    if rows > 2 { finish(z.2, y: y, at: base + 2 * rowStride, residual: residual, epilogue: epilogue, channel: c, lanes: lanes) }
                    if rows > 3 { finish(z.3, y: y, at: base + 3 * rowStride, residual: residual, epilogue: epilogue, channel: c, lanes: lanes) }
                }
                c += 8
            }
        }
    }

    /// `transformInput` for F(2x2, 3x3): 4x4 windows, 16 points.
    static func transformInput2(
        _ g: ConvGeometry, _ l: Layout, x: UnsafePointer<Float>, zeros: UnsafePointer<Float>, v: UnsafeMutablePointer<Float>, pointStride: Int,
        first: Int, tiles: Range<Int>
    ) {
        let taps = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: 16)  // the window's 16 pixels
        let e = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: 16)  // d B, row-major 4x4
        defer {
            taps.deallocate()
            e.deallocate()
        }
        for t in tiles {
            gatherWindow(g, l, x: x, zeros: zeros, tile: first + t, into: taps)
            let out = v + t * l.cin8
            var c = 0
            while c < g.inC {
                let lanes = min(8, g.inC - c)
                for i in 0..<4 {
                    let row = taps + i * 4
                    let r = forward2(load(row[0] + c, lanes), load(row[1] + c, lanes), load(row[2] + c, lanes), load(row[3] + c, lanes))
                    (e[i * 4], e[i * 4 + 1], e[i * 4 + 2], e[i * 4 + 3]) = r
                }
                for k in 0..<4 {
                    let s = forward2(e[k], e[4 + k], e[8 + k], e[12 + k])
                    let column = out + k * pointStride + c
                    store(s.0, column)
                    store(s.1, column + 4 * pointStride)
                    store(s.2, column + 8 * pointStride)
                    store(s.3, column + 12 * pointStride)
                }
                c += 8
            }
        }
    }

    /// `transformOutput` for F(2x2, 3x3): 2x2 tiles from 16 points.
    static func transformOutput2(
        _ g: ConvGeometry, _ l: Layout, m: UnsafePointer<Float>, pointStride: Int, tileStride: Int, channels: Range<Int>,
        y: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, epilogue: EpilogueKernel, first: Int, tiles: Range<Int>
    ) {
        let f = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: 8)  // A^T applied along rows: 4 x 2
        defer { f.deallocate() }
        for t in tiles {
            let (n, oy0, ox0, rows, cols) = l.outputTile(first + t, g)
            let src = m + t * tileStride
            var c = channels.lowerBound
            while c < channels.upperBound {
                for i in 0..<4 {
                    let p = src + i * 4 * pointStride + c
                    (f[i * 2], f[i * 2 + 1]) = backward2(
                        archc_load8(p), archc_load8(p + pointStride), archc_load8(p + 2 * pointStride), archc_load8(p + 3 * pointStride))
                }
                let lanes = min(8, channels.upperBound - c)
                for j in 0..<cols {
                    let z = backward2(f[j], f[2 + j], f[4 + j], f[6 + j])
                    let base = ((n * g.outH + oy0) * g.outW + ox0 + j) * g.outC + c
                    finish(z.0, y: y, at: base, residual: residual, epilogue: epilogue, channel: c, lanes: lanes)
                    if rows > 1 { finish(z.1, y: y, at: base + g.outW * g.outC, residual: residual, epilogue: epilogue, channel: c, lanes: lanes) }
                }
                c += 8
            }
        }
    }

    /// Where each of the 25 points of a stride-2 window goes (`Tile.f2x2s2`): point (a, b) of
    /// the 5x5 transformed window (a, b in the order of `forwardStride2`'s results) belongs to
    /// GEMM `p = class(a) * 4 + class(b)` as row `sub(a) * n(b) + sub(b)` of its tile's rows
    /// (class 0 holds the two `w1` points). Offsets in floats, rows `rowStride` apart: `V[p]`'s
    /// start plus that row, and the rows per tile of `p`.
    static func stride2Rows(_ l: Layout, pointStride: Int, rowStride: Int) -> [(offset: Int, perTile: Int)] {
        let classOf = [0, 0, 1, 2, 3], subOf = [0, 1, 0, 0, 0]
        return (0..<25).map { point in
            let (a, b) = (point / 5, point % 5)
            let p = classOf[a] * 4 + classOf[b]
            let row = subOf[a] * l.tile.pointsInClass(classOf[b]) + subOf[b]
            return (l.prefix[p] * pointStride + row * rowStride, l.rows[p] * rowStride)
        }
    }

    /// `transformInput` for F(2x2, 3x3) at stride 2: 5x5 windows, 25 points into 16 GEMMs.
    static func transformInputStride2(
        _ g: ConvGeometry, _ l: Layout, x: UnsafePointer<Float>, zeros: UnsafePointer<Float>, v: UnsafeMutablePointer<Float>, pointStride: Int,
        first: Int, tiles: Range<Int>
    ) {
        let places = stride2Rows(l, pointStride: pointStride, rowStride: l.cin8)
        let taps = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: 25)  // the window's 25 pixels
        let e = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: 25)  // d B, row-major 5x5
        defer {
            taps.deallocate()
            e.deallocate()
        }
        for t in tiles {
            gatherWindow(g, l, x: x, zeros: zeros, tile: first + t, into: taps)
            var c = 0
            while c < g.inC {
                let lanes = min(8, g.inC - c)
                for i in 0..<5 {
                    let row = taps + i * 5
                    let r = forwardStride2(
                        load(row[0] + c, lanes), load(row[1] + c, lanes), load(row[2] + c, lanes), load(row[3] + c, lanes), load(row[4] + c, lanes))
                    (e[i * 5], e[i * 5 + 1], e[i * 5 + 2], e[i * 5 + 3], e[i * 5 + 4]) = r
                }
                let column = v + c
                for k in 0..<5 {
                    let s = forwardStride2(e[k], e[5 + k], e[10 + k], e[15 + k], e[20 + k])
                    store(s.0, column + places[k].offset + t * places[k].perTile)
                    store(s.1, column + places[5 + k].offset + t * places[5 + k].perTile)
                    store(s.2, column + places[10 + k].offset + t * places[10 + k].perTile)
                    store(s.3, column + places[15 + k].offset + t * places[15 + k].perTile)
                    store(s.4, column + places[20 + k].offset + t * places[20 + k].perTile)
                }
                c += 8
            }
        }
    }

    /// `transformOutput` for F(2x2, 3x3) at stride 2: 2x2 tiles from 25 points of 16 GEMMs.
    static func transformOutputStride2(
        _ g: ConvGeometry, _ l: Layout, m: UnsafePointer<Float>, pointStride: Int, tileStride: Int, channels: Range<Int>,
        y: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, epilogue: EpilogueKernel, first: Int, tiles: Range<Int>
    ) {
        let places = stride2Rows(l, pointStride: pointStride, rowStride: tileStride)
        let f = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: 10)  // A^T applied along rows: 5 x 2
        defer { f.deallocate() }
        for t in tiles {
            let (n, oy0, ox0, rows, cols) = l.outputTile(first + t, g)
            var c = channels.lowerBound
            while c < channels.upperBound {
                for i in 0..<5 {
                    let row = m + c
                    let (p0, p1, p2) = (places[i * 5], places[i * 5 + 1], places[i * 5 + 2])
                    let (p3, p4) = (places[i * 5 + 3], places[i * 5 + 4])
                    (f[i * 2], f[i * 2 + 1]) = backwardStride2(
                        archc_load8(row + p0.offset + t * p0.perTile), archc_load8(row + p1.offset + t * p1.perTile),
                        archc_load8(row + p2.offset + t * p2.perTile), archc_load8(row + p3.offset + t * p3.perTile),
                        archc_load8(row + p4.offset + t * p4.perTile))
                }
                let lanes = min(8, channels.upperBound - c)
                for j in 0..<cols {
                    let z = backwardStride2(f[j], f[2 + j], f[4 + j], f[6 + j], f[8 + j])
                    let base = ((n * g.outH + oy0) * g.outW + ox0 + j) * g.outC + c
                    finish(z.0, y: y, at: base, residual: residual, epilogue: epilogue, channel: c, lanes: lanes)
                    if rows > 1 { finish(z.1, y: y, at: base + g.outW * g.outC, residual: residual, epilogue: epilogue, channel: c, lanes: lanes) }
                }
                c += 8
            }
        }
    }

    /// Bias, then the rest of the epilogue, then the store of `lanes` channels at `y + offset`.
    @inline(__always)
    static func finish(
        _ z: SIMD8<Float>, y: UnsafeMutablePointer<Float>, at offset: Int, residual: UnsafePointer<Float>?, epilogue: EpilogueKernel, channel c: Int,
        lanes: Int
    ) {
        if lanes == 8 {
            var v = z
            if let bias = epilogue.bias { v += archc_load8(bias + c) }
            v = epilogue.finish(v, residual: residual.map { $0 + offset })
            UnsafeMutableRawPointer(y + offset).storeBytes(of: v, as: SIMD8<Float>.self)
            return
        }
        for lane in 0..<lanes {
            var s = z[lane]
            if let bias = epilogue.bias { s += bias[c + lane] }
            y[offset + lane] = epilogue.finish(s, residual: residual.map { $0[offset + lane] })
        }
    }

    /// `B^T x` for one row or column of a 6x6 window of F(4x4, 3x3) (points 0, +-1, +-2, inf).
    @inline(__always)
    static func forward(
        _ x0: SIMD8<Float>, _ x1: SIMD8<Float>, _ x2: SIMD8<Float>, _ x3: SIMD8<Float>, _ x4: SIMD8<Float>, _ x5: SIMD8<Float>
    ) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let four = SIMD8<Float>(repeating: 4), five = SIMD8<Float>(repeating: 5), two = SIMD8<Float>(repeating: 2)
        let x4m2 = x4 - x2, x3m1 = x3 - x1
        return (
            four * x0 - five * x2 + x4,
            (x3 + x4) - four * (x1 + x2),
            (x4 - x3) + four * (x1 - x2),
            x4m2 + two * x3m1,
            x4m2 - two * x3m1,
            four * x1 - five * x3 + x5
        )
    }

    /// `A^T m` for one row or column of a 6x6 transformed tile of F(4x4, 3x3): 4 outputs.
    @inline(__always)
    static func backward(
        _ m0: SIMD8<Float>, _ m1: SIMD8<Float>, _ m2: SIMD8<Float>, _ m3: SIMD8<Float>, _ m4: SIMD8<Float>, _ m5: SIMD8<Float>
    ) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4
        return (m0 + a + c, b + SIMD8(repeating: 2) * d, a + SIMD8(repeating: 4) * c, b + SIMD8(repeating: 8) * d + m5)
    }

    /// `B^T x` for one row or column of a 4x4 window of F(2x2, 3x3) (points 0, +-1, inf).
    @inline(__always)
    static func forward2(
        _ x0: SIMD8<Float>, _ x1: SIMD8<Float>, _ x2: SIMD8<Float>, _ x3: SIMD8<Float>
    ) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        (x0 - x2, x1 + x2, x2 - x1, x1 - x3)
    }

    /// `A^T m` for one row or column of a 4x4 transformed tile of F(2x2, 3x3): 2 outputs.
    @inline(__always)
    static func backward2(_ m0: SIMD8<Float>, _ m1: SIMD8<Float>, _ m2: SIMD8<Float>, _ m3: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        (m0 + m1 + m2, m1 - m2 - m3)
    }

    /// One side of a stride-2 window (`Tile.f2x2s2`): the odd samples `i1`, `i3` (for `w1`),
    /// then the even samples' F(2, 2) points `i0 - i2`, `i2`, `i4 - i2` (for `w0`, `w0 + w2`, `w2`).
    @inline(__always)
    static func forwardStride2(
        _ x0: SIMD8<Float>, _ x1: SIMD8<Float>, _ x2: SIMD8<Float>, _ x3: SIMD8<Float>, _ x4: SIMD8<Float>
    ) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        (x1, x3, x0 - x2, x2, x4 - x2)
    }

    /// The two outputs of one side of a stride-2 tile from its 5 products.
    @inline(__always)
    static func backwardStride2(
        _ m0: SIMD8<Float>, _ m1: SIMD8<Float>, _ m2: SIMD8<Float>, _ m3: SIMD8<Float>, _ m4: SIMD8<Float>
    ) -> (SIMD8<Float>, SIMD8<Float>) {
        (m0 + m2 + m3, m1 + m3 + m4)
    }

    /// Eight floats, or the first `lanes` of them and zeros (a channel tail: no read past it).
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ lanes: Int) -> SIMD8<Float> {
        if lanes == 8 { return archc_load8(p) }
        var v = SIMD8<Float>()
        for lane in 0..<lanes { v[lane] = p[lane] }
        return v
    }

    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }
}
