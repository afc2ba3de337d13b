import ArchcKernels

/// How 3x3 one-group convs at stride 1 and 2 run: Winograd (`WinogradKernel`: F(4x4, 3x3) or
/// F(2x2, 3x3) at stride 1, F(2x2, 3x3) by phases at stride 2) or the direct implicit-im2col
/// GEMM (`ConvKernels.im2col`). `archc run --conv3x3`.
public enum Conv3x3Algorithm: String, Sendable, CaseIterable {
    /// Winograd where it measured faster on this class of machine, with the tile that
    /// measured faster (`preferredTile`).
    case auto
    /// Winograd F(4x4, 3x3) for every stride-1 conv, F(2x2, 3x3) for every stride-2 one.
    case winograd
    /// Winograd F(2x2, 3x3) for every conv it applies to (stride 1 or 2).
    case winograd2x2 = "winograd-2x2"
    /// The implicit-im2col GEMM for every conv.
    case direct

    /// The Winograd tile a conv runs with under this choice, nil when it runs direct
    /// (`g.batch`: the batch it runs at).
    public func winogradTile(_ g: ConvGeometry) -> WinogradKernel.Tile? {
        guard WinogradKernel.applies(g) else { return nil }
        switch self {
        case .winograd: return g.strideH == 1 ? .f4x4 : .f2x2s2
        case .winograd2x2: return g.strideH == 1 ? .f2x2 : .f2x2s2
        case .direct: return nil
        case .auto: return Self.preferredTile(g)
        }
    }

    /// Whether a conv runs by Winograd (either tile) under this choice.
    public func usesWinograd(_ g: ConvGeometry) -> Bool { winogradTile(g) != nil }

    /// The rule of `auto`, for convs with at least `minChannels` inputs. Stride 1: F(4x4) when
    /// the batch has at least `minTiles4` 4x4 output tiles; otherwise F(2x2) when it has at
    /// least `minTiles2` 2x2 tiles; otherwise direct. F(4x4)'s 36 transformed weight matrices
    /// are 4x the conv's weights, read once per call; with few tiles that reading, not the
    /// multiplies, sets the time, and F(2x2)'s 16 matrices (16/9x) cost less. Stride 2: F(2x2)
    /// by phases with at least `minTiles2` tiles, where they do not overhang the map so far
    /// that less than a quarter of the multiplies is saved. ResNet-50 in the engine (2
    /// threads, each conv's fastest of 2-3 runs, ms):
    ///
    ///     map (ch), batch   4x4 tiles  F(4x4)  F(2x2)  direct
    ///     56x56 (64), 1        196      0.69    0.96
    ///     28x28 (128), 1        49      0.60    0.90
    ///     14x14 (256), 1        16      0.91    0.80
    ///     7x7 (512), 1           4              1.45    1.75
    ///     56x56 (64), 8       1568      6.83   10.14
    ///     14x14 (256), 8       128      6.12    7.50
    ///     7x7 (512), 8          32      5.96    8.98
    ///     stride 2, out 28x28 (128), 1      1.44    1.43
    ///     stride 2, out 14x14 (256), 1      1.36    1.58
    ///     stride 2, out 7x7 (512), 1        1.89    1.69 (2x2 tiles overhang: 400 / 441)
    ///     stride 2, out 28x28 (128), 8     11.39   11.82
    ///     stride 2, out 14x14 (256), 8      9.61   11.52
    static func preferredTile(_ g: ConvGeometry) -> WinogradKernel.Tile? {
        guard g.inC >= minChannels else { return nil }
        if g.strideH == 2 {
            // 25 multiplies per 2x2 tile against 9 per output pixel: not where the tiles
            // overhang the map so far that less than a quarter of them is saved (7x7: 400 / 441),
            // nor below `minChannelsStride2`.
            let tile = WinogradKernel.Tile.f2x2s2, tiles = tile.tiles(g)
            return g.inC >= minChannelsStride2 && tiles >= minTiles2 && 4 * tile.rowsPerTile * tiles <= 3 * 9 * g.batch * g.outH * g.outW ? tile : nil
        }
        if WinogradKernel.Tile.f4x4.tiles(g) >= minTiles4 { return .f4x4 }
        if WinogradKernel.Tile.f2x2.tiles(g) >= minTiles2 { return .f2x2 }
        return nil
    }

    /// Input channels below this run direct: the GEMMs' depth is Cin, and each transformed
    /// point pads it to 8 lanes (EfficientNet-Lite0's stem, 3x3/2 from 3 channels at batch 1:
    /// 1.15-1.19 ms by Winograd, 0.43-0.51 ms direct).
    static let minChannels = 16
    /// Stride 2 by phases from 256 input channels: at 128 (ResNet-50's layer2.0.conv2, out
    /// 28x28) it was no faster than direct with the AVX2 GEMM (1.44 / 1.43 ms at batch 1) and
    /// slower with the 512-bit one (1.05-1.08 / 0.81-0.85 ms at batch 1, 8.2-8.4 / 6.5-6.6 at
    /// batch 8: its transforms stay 8 lanes wide while the GEMM doubled); at 256 (layer3.0,
    /// out 14x14) faster on both (512-bit: 0.80-0.86 / 0.98-1.03 ms, 5.4-5.6 / 6.4-6.6).
    static let minChannelsStride2 = 256
    /// 32 4x4 tiles: a 28x28 map at batch 1, a 14x14 map from batch 2, a 7x7 map from batch 8.
    static let minTiles4 = 32
    /// 16 2x2 tiles: a 7x7 map at batch 1 (fewer: the transformed weights' reading dominates).
    static let minTiles2 = 16
}
