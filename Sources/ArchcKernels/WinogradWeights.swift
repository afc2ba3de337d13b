/// A 3x3 conv's weights in the Winograd F(4x4, 3x3) domain: for each of the 36 points of a
/// 6x6 transformed tile, the matrix `U[point] = G g G^T` [Cout, Cin], packed for the GEMM
/// (`PackedGemm.pack`), one after another in memory the caller owns.
public struct WinogradWeights {
    public let cout: Int
    public let cin: Int
    public let data: UnsafeMutablePointer<Float>

    /// Floats the 36 packed matrices take.
    public static func floats(cout: Int, cin: Int) -> Int { WinogradKernel.points * PackedGemm.packedFloats(n: cout, k: cin) }

    /// The packed [Cout, Cin] matrix of one transformed point (0..<36, row-major over the 6x6 tile).
    @inline(__always)
    func matrix(_ point: Int) -> PackedGemm.PackedMatrix {
        PackedGemm.PackedMatrix(n: cout, k: cin, data: data + point * PackedGemm.packedFloats(n: cout, k: cin))
    }

    /// G, the 6x3 weight transform of F(4x4, 3x3) (interpolation points 0, +-1, +-2, inf).
    static let g: [[Double]] = [
        [1.0 / 4, 0, 0],
        [-1.0 / 6, -1.0 / 6, -1.0 / 6],
        [-1.0 / 6, 1.0 / 6, -1.0 / 6],
        [1.0 / 24, 1.0 / 12, 1.0 / 6],
        [1.0 / 24, -1.0 / 12, 1.0 / 6],
        [0, 0, 1],
    ]

    /// Transforms OIHW weights [Cout, Cin, 3, 3] (in double precision, rounded once) and packs
    /// them into `data` (64-byte aligned, `floats(cout:cin:)` floats, owned by the caller).
    public static func pack(oihw w: UnsafePointer<Float>, cout: Int, cin: Int, into data: UnsafeMutablePointer<Float>) -> WinogradWeights {
        let packed = PackedGemm.packedFloats(n: cout, k: cin)
        let u = UnsafeMutablePointer<Float>.allocate(capacity: max(1, cout * cin))  // one point's [Cout, Cin]
        defer { u.deallocate() }
        for point in 0..<WinogradKernel.points {
            let (a, b) = (g[point / 6], g[point % 6])
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
        return WinogradWeights(cout: cout, cin: cin, data: data)
    }
}
