/// A 3x3 conv's weights in the Winograd domain of one tile (`WinogradKernel.Tile`): for each
/// point of the transformed window (36 for F(4x4, 3x3), 16 for F(2x2, 3x3); at stride 2, each
/// of the 16 weight classes of its 25 points), the matrix
/// `U[point] = G g G^T` [Cout, Cin], packed for the GEMM (`PackedGemm.pack`), one after another
/// in memory the caller owns.
public struct WinogradWeights {
    public let cout: Int
    public let cin: Int
    public let tile: WinogradKernel.Tile
    public let data: UnsafeMutablePointer<Float>

    /// Floats the packed matrices take.
    public static func floats(cout: Int, cin: Int, tile: WinogradKernel.Tile) -> Int {
        tile.points * PackedGemm.packedFloats(n: cout, k: cin)
    }

    /// The packed [Cout, Cin] matrix of one transformed point (row-major over the window; at
    /// stride 2, of one weight class: row class * 4 + column class).
    @inline(__always)
    func matrix(_ point: Int) -> PackedGemm.PackedMatrix {
        PackedGemm.PackedMatrix(n: cout, k: cin, data: data + point * PackedGemm.packedFloats(n: cout, k: cin))
    }

    /// G, the 6x3 weight transform of F(4x4, 3x3) (interpolation points 0, +-1, +-2, inf).
    static let g4: [[Double]] = [
        [1.0 / 4, 0, 0],
        [-1.0 / 6, -1.0 / 6, -1.0 / 6],
        [-1.0 / 6, 1.0 / 6, -1.0 / 6],
        [1.0 / 24, 1.0 / 12, 1.0 / 6],
        [1.0 / 24, -1.0 / 12, 1.0 / 6],
        [0, 0, 1],
    ]

    /// G, the 4x3 weight transform of F(2x2, 3x3) (interpolation points 0, +-1, inf).
    static let g2: [[Double]] = [
        [1, 0, 0],
        [1.0 / 2, 1.0 / 2, 1.0 / 2],
        [1.0 / 2, -1.0 / 2, 1.0 / 2],
        [0, 0, 1],
    ]

    /// The 4x3 weight transform of F(2x2, 3x3) at stride 2, one row per weight class: `w1`
    /// (the odd samples), `w0`, `w0 + w2`, `w2` (the even samples' F(2, 2)).
    static let g2s2: [[Double]] = [
        [0, 1, 0],
        [1, 0, 0],
        [1, 0, 1],
        [0, 0, 1],
    ]

    /// Transforms OIHW weights [Cout, Cin, 3, 3] for `tile` (in double precision, rounded once)
    /// and packs them into `data` (64-byte aligned, `floats(cout:cin:tile:)` floats, owned by
    /// the caller).
    public static func pack(
        oihw w: UnsafePointer<Float>, cout: Int, cin: Int, tile: WinogradKernel.Tile, into data: UnsafeMutablePointer<Float>
    ) -> WinogradWeights {
        let packed = PackedGemm.packedFloats(n: cout, k: cin)
        let g = tile == .f4x4 ? g4 : tile == .f2x2 ? g2 : g2s2
        let u = UnsafeMutablePointer<Float>.allocate(capacity: max(1, cout * cin))  // one point's [Cout, Cin]
        defer { u.deallocate() }
        for point in 0..<tile.points {
            let (a, b) = (g[point / tile.side], g[point % tile.side])
            for o in 0..<cout {
                for i in 0..<cin {
                    let k = w + (o * cin + i) * 9
                    var sum = 0.0
                    for r in 0..<3 {
                        let row = a[r] * (b[0] * Double(k[r * 3]) + b[1] * Double(k[r * 3 + 1]) + b[2] * Double(k[r * 3 + 2]))
                        sum += row
                    }
                    u[o * cin + i] = Float(sum)
                }
            }
            _ = PackedGemm.pack(u, n: cout, k: cin, into: data + point * packed)
        }
        return WinogradWeights(cout: cout, cin: cin, tile: tile, data: data)
    }
}
