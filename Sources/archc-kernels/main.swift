// archc-kernels: the runtime's kernels alone, in GFLOP/s against this machine's measured FMA
// peak, on the shapes of the paper's models. A benchmark (figures to read), not a test.
// usage: swift run -c release archc-kernels [--threads T] [--repeat R] [--cpu-time] [--only SECTION]
import ArchcIR
import ArchcRuntime
import Foundation

var threads = 1
var repeats = 5
var only: String?
var cpuTime = false
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    switch flag {
    case "--threads": threads = Int(arguments.popFirst() ?? "") ?? 1
    case "--repeat": repeats = Int(arguments.popFirst() ?? "") ?? 5
    case "--only": only = arguments.popFirst()
    // The process's CPU time instead of wall time: on a machine other jobs share, a thread's
    // time slices away do not count (caches shared with them still do). For --threads 1.
    case "--cpu-time": cpuTime = true
    default:
        print(
            "usage: archc-kernels [--threads T] [--repeat R] [--cpu-time]"
                + " [--only gemm|streamed|chain|block8|depthwise|resnet|resnet8|mobile|expand-dw|attention|winograd|strided|int8]")
        exit(flag == "--help" || flag == "-h" ? 0 : 64)
    }
}

func now() -> Double {
    if cpuTime {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
    return Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}

func seconds(_ body: () -> Void) -> Double {
    let start = now()
    body()
    return now() - start
}

/// Best of `repeats` timings of `body` (each timing repeats it until ~20 ms pass).
func rate(flops: Double, _ body: () -> Void) -> Double {
    body()
    var inner = 1
    while seconds({ for _ in 0..<inner { body() } }) < 0.02 { inner *= 2 }
    var best = Double.infinity
    for _ in 0..<repeats { best = min(best, seconds { for _ in 0..<inner { body() } } / Double(inner)) }
    return flops / best / 1e9
}

/// Whether a section runs (all of them without --only).
func wanted(_ section: String) -> Bool { only == nil || only == section }

let pool = WorkerPool(threads: threads)
let peak = FMAPeak.measure(pool: pool)
print(String(format: "FMA peak, %d thread(s): %.1f GFLOP/s", threads, peak))

/// Uniform in [-1, 1) from a seeded xorshift: `Float.random` asks the kernel for entropy on
/// every call, which made set-up most of this benchmark's run time.
var state: UInt64 = 0x9E37_79B9_7F4A_7C15
func uniform() -> Float {
    state ^= state << 13
    state ^= state >> 7
    state ^= state << 17
    return Float(state >> 40) / Float(1 << 23) - 1
}

/// 64-byte aligned, as the engine's arena is (threads writing neighbouring channel blocks
/// must not share cache lines).
func random(_ count: Int) -> UnsafeMutablePointer<Float> {
    let p = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64).bindMemory(to: Float.self, capacity: count)
    for i in 0..<count { p[i] = uniform() }
    return p
}

let none = EpilogueKernel(bias: nil, activation: nil, postActivation: nil)
if wanted("gemm") {
    print("\npacked GEMM  C[M,N] = A[M,K] * W[N,K]^T        GFLOP/s  of peak")
    for (m, n, k, what) in [
        (196, 1536, 384, "pw expand 14x14 (dim 384)"), (196, 384, 1536, "pw project 14x14"),
        (49, 3072, 768, "pw expand 7x7 (dim 768)"), (49, 768, 3072, "pw project 7x7"),
        (1568, 1536, 384, "pw expand 14x14, batch 8"), (1568, 384, 1536, "pw project 14x14, batch 8"),
        (3136, 384, 96, "pw expand 56x56-like"),
        // ResNet-50's 1x1 convs at batch 8 (M = 8 x 56 x 56 .. 8 x 7 x 7).
        (25088, 64, 64, "R50 layer1 conv1, batch 8"), (25088, 256, 64, "R50 layer1 conv3, batch 8"),
        (25088, 64, 256, "R50 layer1 conv1 (in 256), b8"), (6272, 512, 128, "R50 layer2 conv3, batch 8"),
        (6272, 128, 512, "R50 layer2 conv1, batch 8"), (1568, 1024, 256, "R50 layer3 conv3, batch 8"),
        (1568, 256, 1024, "R50 layer3 conv1, batch 8"), (392, 2048, 512, "R50 layer4 conv3, batch 8"),
        (392, 512, 2048, "R50 layer4 conv1, batch 8"),
    ] {
        let a = random(m * k), w = random(n * k), c = random(m * n)
        let packed = PackedGemm.pack(w, n: n, k: k)
        let r = rate(flops: 2.0 * Double(m * n * k)) {
            PackedGemm.multiply(m: m, a: a, lda: k, packed, c: c, ldc: n, epilogue: none, residual: nil, pool: pool)
        }
        print(
            String(format: "  M %4d N %4d K %4d  ", m, n, k) + what.padding(toLength: 28, withPad: " ", startingAt: 0)
                + String(format: " %6.1f  %5.1f%%", r, 100 * r / peak))
    }

}
if wanted("streamed") {
    print("\npacked GEMM with weights streamed from memory (a model's 150 MB of weights: each call")
    print("uses the next of 64 weight matrices, as layers do)        GFLOP/s  of peak")
    for (m, n, k, what) in [
        (196, 1536, 384, "pw expand 14x14 (dim 384)"), (196, 384, 1536, "pw project 14x14"),
        (49, 3072, 768, "pw expand 7x7 (dim 768)"), (1568, 1536, 384, "pw expand 14x14, batch 8"),
    ] {
        let a = random(m * k), c = random(m * n)
        let layers = (0..<64).map { _ in PackedGemm.pack(random(n * k), n: n, k: k) }
        var next = 0
        let r = rate(flops: 2.0 * Double(m * n * k)) {
            PackedGemm.multiply(m: m, a: a, lda: k, layers[next], c: c, ldc: n, epilogue: none, residual: nil, pool: pool)
            next = (next + 1) % layers.count
        }
        print(
            String(format: "  M %4d N %4d K %4d  ", m, n, k) + what.padding(toLength: 28, withPad: " ", startingAt: 0)
                + String(format: " %6.1f  %5.1f%%", r, 100 * r / peak))
    }

}
if wanted("chain") {
    print("\npointwise chain as in a model: 8 blocks of expand (384 -> 1536, ReLU) then project")
    print("(1536 -> 384, + residual), each layer reading the previous one's output, cold weights")
    do {
        let m = 196
        let x = random(m * 384), hidden = random(m * 1536), out = random(m * 384)
        let expand = (0..<8).map { _ in PackedGemm.pack(random(1536 * 384), n: 1536, k: 384) }
        let project = (0..<8).map { _ in PackedGemm.pack(random(384 * 1536), n: 384, k: 1536) }
        let bias = random(1536)
        let relu = EpilogueKernel(bias: bias, activation: .relu, postActivation: nil)
        let plain = EpilogueKernel(bias: bias, activation: nil, postActivation: nil)
        let r = rate(flops: 16 * 2.0 * Double(m * 384 * 1536)) {
            for b in 0..<8 {
                let input = b % 2 == 0 ? x : out, output = b % 2 == 0 ? out : x
                PackedGemm.multiply(m: m, a: input, lda: 384, expand[b], c: hidden, ldc: 1536, epilogue: relu, residual: nil, pool: pool)
                PackedGemm.multiply(m: m, a: hidden, lda: 1536, project[b], c: output, ldc: 384, epilogue: plain, residual: input, pool: pool)
            }
        }
        print(String(format: "  M 196, 16 layers                                  %6.1f  %5.1f%%", r, 100 * r / peak))
    }

}
if only == "block8" {
    // Inverted-DW-Small's stage 2 at batch 8 as the model runs it: 14 blocks of expand
    // (384 -> 1536, ReLU), depthwise 7x7 on 1536 channels, project (1536 -> 384, + residual),
    // each layer's time on its own (the pool's run ends each layer).
    print("\nInverted stage 2, batch 8, 14 blocks: GFLOP/s per layer kind")
    let batch = 8, m = batch * 196, blocks = 14
    let x = random(m * 384), hidden = random(m * 1536), hidden2 = random(m * 1536), out = random(m * 384)
    let expand = (0..<blocks).map { _ in PackedGemm.pack(random(1536 * 384), n: 1536, k: 384) }
    let project = (0..<blocks).map { _ in PackedGemm.pack(random(384 * 1536), n: 384, k: 1536) }
    let dws = (0..<blocks).map { _ in DepthwiseKernel.pack(Tensor(dims: [1536, 1, 7, 7], data: (0..<(1536 * 49)).map { _ in uniform() / 8 })) }
    let bias = random(1536)
    let relu = EpilogueKernel(bias: bias, activation: .relu, postActivation: nil)
    let plain = EpilogueKernel(bias: bias, activation: nil, postActivation: nil)
    let g = ConvGeometry(
        batch: batch, input: TensorType([1536, 14, 14]), output: TensorType([1536, 14, 14]), weightDims: [1536, 1, 7, 7],
        ConvAttributes(stride: [1, 1], padding: [3, 3, 3, 3], dilation: [1, 1], groups: 1536))
    var te = 0.0, td = 0.0, tp = 0.0
    for round in 0..<4 {
        for b in 0..<blocks {
            let input = b % 2 == 0 ? x : out, output = b % 2 == 0 ? out : x
            let e = seconds { PackedGemm.multiply(m: m, a: input, lda: 384, expand[b], c: hidden, ldc: 1536, epilogue: relu, residual: nil, pool: pool) }
            let d = seconds {
                dws[b].withUnsafeBufferPointer { w in
                    DepthwiseKernel.run(g, x: hidden, weight: w.baseAddress!, y: hidden2, residual: nil, epilogue: plain, pool: pool)
                }
            }
            let p = seconds { PackedGemm.multiply(m: m, a: hidden2, lda: 1536, project[b], c: output, ldc: 384, epilogue: plain, residual: input, pool: pool) }
            if round > 0 { te += e; td += d; tp += p }
        }
    }
    let gemmFlops = 3.0 * Double(blocks) * 2 * Double(m * 384 * 1536)
    print(String(format: "  expand  %6.1f GFLOP/s  %6.1f ms per round", gemmFlops / te / 1e9, te * 1000 / 3))
    print(String(format: "  dw      %6.1f ms per round", td * 1000 / 3))
    print(String(format: "  project %6.1f GFLOP/s  %6.1f ms per round", gemmFlops / tp / 1e9, tp * 1000 / 3))
}
if wanted("depthwise") {
    print("\ndepthwise conv (NHWC, bias + ReLU epilogue)                GFLOP/s  of peak")
    for (n, c, size, k, stride, what) in [
        (1, 384, 14, 11, 1, "DW / Up / Down-Small stage 2"), (1, 768, 7, 11, 1, "DW-Small stage 3 (7x7)"),
        (1, 1536, 14, 7, 1, "Inverted-DW-Small stage 2"), (1, 3072, 7, 7, 1, "Inverted-DW-Small stage 3"),
        (1, 768, 14, 11, 2, "DW-Small stride-2 block"), (8, 384, 14, 11, 1, "stage 2, batch 8"),
        (8, 1536, 14, 7, 1, "Inverted stage 2, batch 8"),
        // EfficientNet-Lite0's (mobile shapes: large maps, few channels, 3x3 and 5x5).
        (1, 32, 112, 3, 1, "Lite0 block 0"), (1, 96, 112, 3, 2, "Lite0 block 1 (stride 2)"), (1, 144, 56, 3, 1, "Lite0 block 2"),
        (1, 144, 56, 5, 2, "Lite0 block 3 (stride 2)"), (1, 240, 28, 5, 1, "Lite0 block 4"), (1, 672, 14, 5, 1, "Lite0 blocks 9-10"),
        (1, 1152, 7, 5, 1, "Lite0 blocks 12-14"), (8, 32, 112, 3, 1, "Lite0 block 0, batch 8"),
        (1, 240, 28, 3, 2, "Lite0 block 5 (stride 2)"), (1, 480, 14, 3, 1, "Lite0 blocks 6-7"), (1, 672, 14, 5, 2, "Lite0 block 11 (stride 2)"),
        (1, 1152, 7, 3, 1, "Lite0 block 15"), (8, 96, 112, 3, 2, "Lite0 block 1, batch 8"), (8, 144, 56, 3, 1, "Lite0 block 2, batch 8"),
    ] {
        let out = (size - 1) / stride + 1
        let g = ConvGeometry(
            batch: n, input: TensorType([c, size, size]), output: TensorType([c, out, out]), weightDims: [c, 1, k, k],
            ConvAttributes(stride: [stride, stride], padding: [k / 2, k / 2, k / 2, k / 2], dilation: [1, 1], groups: c))
        let x = random(max(n * c * size * size, 1 << 21)), y = random(max(n * c * out * out, 1 << 21)), bias = random(c)
        let w = DepthwiseKernel.pack(Tensor(dims: [c, 1, k, k], data: (0..<(c * k * k)).map { _ in uniform() }))
        let epilogue = EpilogueKernel(bias: bias, activation: .relu, postActivation: nil)
        // Useful work only: taps that fall on padding are not counted.
        var taps = 0
        for oy in 0..<out {
            for ox in 0..<out {
                for ky in 0..<k {
                    for kx in 0..<k {
                        let iy = oy * stride - k / 2 + ky, ix = ox * stride - k / 2 + kx
                        if iy >= 0, iy < size, ix >= 0, ix < size { taps += 1 }
                    }
                }
            }
        }
        let r = w.withUnsafeBufferPointer { w in
            rate(flops: 2.0 * Double(n * c * taps)) {
                DepthwiseKernel.run(g, x: x, weight: w.baseAddress!, y: y, residual: nil, epilogue: epilogue, pool: pool)
            }
        }
        print(
            String(format: "  N %d C %4d %2dx%-2d k%-2d s%d ", n, c, size, size, k, stride) + what.padding(toLength: 30, withPad: " ", startingAt: 0)
                + String(format: " %6.1f  %5.1f%%", r, 100 * r / peak))
    }

}
if wanted("resnet") {
    print("\nResNet-50's dense convs (NHWC, batch 1, bias + ReLU)          GFLOP/s  of peak")
    let store = WeightStore()
    for (cin, size, cout, k, stride, what) in [
        (64, 56, 64, 1, 1, "layer1 conv1"), (64, 56, 64, 3, 1, "layer1 conv2 3x3"), (64, 56, 256, 1, 1, "layer1 conv3"),
        (64, 56, 256, 1, 1, "layer1 conv3 + residual"), (128, 28, 512, 1, 1, "layer2 conv3 + residual"),
        (256, 56, 64, 1, 1, "layer1 conv1 (in 256)"), (128, 56, 128, 3, 2, "layer2.0 conv2 3x3/2"), (128, 28, 128, 3, 1, "layer2 conv2 3x3"),
        (256, 14, 256, 3, 1, "layer3 conv2 3x3"), (512, 7, 512, 3, 1, "layer4 conv2 3x3"), (256, 56, 512, 1, 2, "layer2.0 downsample 1x1/2"),
        (3, 224, 64, 7, 2, "stem 7x7/2"), (3, 224, 96, 16, 16, "patchify stem 16x16/16"),
    ] {
        let pad = stride == k ? 0 : k / 2  // patchify: no padding
        let out = (size + 2 * pad - k) / stride + 1
        let g = ConvGeometry(
            batch: 1, input: TensorType([cin, size, size]), output: TensorType([cout, out, out]), weightDims: [cout, cin, k, k],
            ConvAttributes(stride: [stride, stride], padding: Array(repeating: pad, count: 4), dilation: [1, 1], groups: 1))
        let x = random(cin * size * size), y = random(cout * out * out), bias = random(cout)
        let residual = what.hasSuffix("+ residual") ? UnsafePointer(random(cout * out * out)) : nil
        let weights = store.gemm((0..<(cout * cin * k * k)).map { _ in uniform() }, n: cout, k: g.k)
        let scratchFloats = ConvKernels.scratchFloats(g, backend: .packed)
        let scratch = scratchFloats > 0 ? random(scratchFloats) : nil
        let epilogue = EpilogueKernel(bias: bias, activation: .relu, postActivation: nil)
        let r = rate(flops: 2.0 * Double(g.m * g.k * cout)) {
            if g.isPointwise {
                ConvKernels.pointwise(g, x: x, weight: weights, y: y, residual: residual, epilogue: epilogue, pool: pool)
            } else {
                ConvKernels.im2col(g, x: x, weight: weights, y: y, residual: nil, epilogue: epilogue, scratch: scratch, pool: pool)
            }
        }
        print(
            String(format: "  %3d -> %3d %3dx%-3d k%d s%d ", cin, cout, size, size, k, stride) + what.padding(toLength: 28, withPad: " ", startingAt: 0)
                + String(format: " %6.1f  %5.1f%%", r, 100 * r / peak))
    }
}
if wanted("int8") {
    // The int8 GEMM (`--precision int8`) on the robust models' and ResNet-50's 1x1 shapes, A
    // already quantized: the AVX2 kernel (vpmaddubsw) and, on a CPU with AVX-512 VNNI, the
    // vpdpbusd one, timed alternately; giga-operations per second (2 per multiply-add).
    print("\nThe int8 GEMM (A quantized), GOP/s                   AVX2   VNNI  VNNI/AVX2")
    let vnni = AVX512.enabled && Int8Gemm.hasVNNI
    for (m, k, n, what) in [
        (196, 384, 1536, "DW-Small stage 2 pwconv1, b1"), (196, 1536, 384, "DW-Small stage 2 pwconv2, b1"),
        (49, 768, 3072, "DW-Small stage 3 pwconv1, b1"), (1568, 384, 1536, "DW-Small stage 2 pwconv1, b8"),
        (1568, 1536, 384, "DW-Small stage 2 pwconv2, b8"), (196, 1024, 256, "ResNet-50 layer3 conv1, b1"),
    ] as [(Int, Int, Int, String)] {
        let w = random(n * k)
        let memory = UnsafeMutableRawPointer(AlignedMemory.bytes(Int8Weights.packedBytes(n: n, k: k))).bindMemory(to: Int8.self, capacity: 1)
        let weights = Int8Weights(quantizing: w, n: n, k: k, into: memory)
        let g = Int8Gemm(weights: weights, input: ActivationQuantization(scale: 0.02, zeroPoint: 128), bias: random(n)) {
            UnsafeMutableRawPointer(AlignedMemory.bytes($0))
        }
        let a = UnsafeMutableRawPointer(AlignedMemory.bytes(m * weights.kp)).bindMemory(to: UInt8.self, capacity: m * weights.kp)
        for i in 0..<(m * weights.kp) { a[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        let c = random(m * n)
        let epilogue = EpilogueKernel(bias: nil, activation: .relu, postActivation: nil)
        let ops = 2.0 * Double(m * n * k)
        let wide = AVX512.enabled
        var best = (avx2: 0.0, vnni: 0.0)
        for _ in 0..<2 {
            AVX512.enabled = false
            best.avx2 = max(best.avx2, rate(flops: ops) { g.multiply(m: m, quantized: a, c: c, ldc: n, epilogue: epilogue, residual: nil, pool: pool) })
            AVX512.enabled = wide
            if vnni {
                best.vnni = max(best.vnni, rate(flops: ops) { g.multiply(m: m, quantized: a, c: c, ldc: n, epilogue: epilogue, residual: nil, pool: pool) })
            }
        }
        let line = String(format: "  M %4d K %4d N %4d ", m, k, n) + what.padding(toLength: 30, withPad: " ", startingAt: 0)
        print(line + String(format: " %6.1f", best.avx2) + (vnni ? String(format: " %6.1f  %5.2f", best.vnni, best.vnni / best.avx2) : "      -      -"))
    }
}
if wanted("resnet8") {
    // ResNet-50's stride-1 1x1 convs at batch 8 with the model's epilogues (bias + ReLU; the
    // conv3s add the residual, then ReLU): their outputs (up to 25.7 MB) and residuals come
    // from memory, as in the model.
    print("\nResNet-50's 1x1 convs, batch 8, with their epilogues          GFLOP/s  of peak")
    for (m, k, n, res, what) in [
        (25088, 64, 64, false, "layer1 conv1 (in 64)"), (25088, 64, 256, true, "layer1 conv3 + residual"),
        (25088, 256, 64, false, "layer1 conv1 (in 256)"), (25088, 256, 128, false, "layer2.0 conv1 (56x56)"),
        (6272, 128, 512, true, "layer2 conv3 + residual"), (6272, 512, 128, false, "layer2 conv1"),
        (1568, 256, 1024, true, "layer3 conv3 + residual"), (1568, 1024, 256, false, "layer3 conv1"),
    ] as [(Int, Int, Int, Bool, String)] {
        let a = random(m * k), c = random(m * n), bias = random(n)
        let residual = res ? UnsafePointer(random(m * n)) : nil
        let packed = PackedGemm.pack(random(n * k), n: n, k: k)
        let epilogue = EpilogueKernel(bias: bias, activation: res ? nil : .relu, postActivation: res ? .relu : nil)
        let r = rate(flops: 2.0 * Double(m * n * k)) {
            PackedGemm.multiply(m: m, a: a, lda: k, packed, c: c, ldc: n, epilogue: epilogue, residual: residual, pool: pool)
        }
        print(
            String(format: "  M %5d K %4d N %4d ", m, k, n) + what.padding(toLength: 28, withPad: " ", startingAt: 0)
                + String(format: " %6.1f  %5.1f%%", r, 100 * r / peak))
    }
}
if wanted("expand-dw") {
    // EfficientNet-Lite0's expand 1x1 + depthwise pairs (224x224, TF "SAME" padding, ReLU6 on
    // both): the fused step (`ExpandDepthwiseKernel`) against the two steps, timed alternately,
    // best of --repeat each.
    print("\nLite0's expand + depthwise pairs (NHWC)           two steps  fused  fused/two")
    let store = WeightStore()
    for (n, cin, size, k, stride, what) in [
        (1, 16, 112, 3, 2, "block 1"), (1, 24, 56, 3, 1, "block 2"), (1, 24, 56, 5, 2, "block 3"), (1, 40, 28, 5, 1, "block 4"),
        (1, 40, 28, 3, 2, "block 5"), (1, 80, 14, 3, 1, "blocks 6-7"), (1, 80, 14, 5, 1, "block 8"), (1, 112, 14, 5, 1, "blocks 9-10"),
        (1, 112, 14, 5, 2, "block 11"), (1, 192, 7, 5, 1, "blocks 12-14"), (1, 192, 7, 3, 1, "block 15"),
        (8, 80, 14, 3, 1, "blocks 6-7, batch 8"), (8, 112, 14, 5, 1, "blocks 9-10, batch 8"), (8, 112, 14, 5, 2, "block 11, batch 8"),
        (8, 192, 7, 5, 1, "blocks 12-14, batch 8"), (8, 192, 7, 3, 1, "block 15, batch 8"),
    ] {
        let cexp = 6 * cin, out = (size + stride - 1) / stride
        let total = max((out - 1) * stride + k - size, 0)
        let padding = [total / 2, total / 2, total - total / 2, total - total / 2]
        let eg = ConvGeometry(
            batch: n, input: TensorType([cin, size, size]), output: TensorType([cexp, size, size]), weightDims: [cexp, cin, 1, 1],
            ConvAttributes(stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], groups: 1))
        let g = ConvGeometry(
            batch: n, input: TensorType([cexp, size, size]), output: TensorType([cexp, out, out]), weightDims: [cexp, 1, k, k],
            ConvAttributes(stride: [stride, stride], padding: padding, dilation: [1, 1], groups: cexp))
        let x = random(n * cin * size * size), wide = random(n * cexp * size * size), y = random(n * cexp * out * out)
        let expandWeights = store.gemm((0..<(cexp * cin)).map { _ in uniform() }, n: cexp, k: cin)
        let w = store.floats(DepthwiseKernel.pack(Tensor(dims: [cexp, 1, k, k], data: (0..<(cexp * k * k)).map { _ in uniform() })))
        let e1 = EpilogueKernel(bias: random(cexp), activation: .relu6, postActivation: nil)
        let e2 = EpilogueKernel(bias: random(cexp), activation: .relu6, postActivation: nil)
        let two = {
            ConvKernels.pointwise(eg, x: x, weight: expandWeights, y: wide, residual: nil, epilogue: e1, pool: pool)
            DepthwiseKernel.run(g, x: wide, weight: w, y: y, residual: nil, epilogue: e2, pool: pool)
        }
        let fused = {
            ExpandDepthwiseKernel.run(
                expand: eg, x: x, expandWeight: expandWeights, expandEpilogue: e1, depthwise: g, weight: w, y: y, residual: nil, epilogue: e2,
                pool: pool)
        }
        var (tTwo, tFused) = (Double.infinity, Double.infinity)
        two()
        fused()
        for _ in 0..<repeats {
            tTwo = min(tTwo, seconds { for _ in 0..<5 { two() } } / 5)
            tFused = min(tFused, seconds { for _ in 0..<5 { fused() } } / 5)
        }
        print(
            String(format: "  N %d %3d -> %4d %3dx%-3d k%d s%d ", n, cin, cexp, size, size, k, stride) + what.padding(toLength: 20, withPad: " ", startingAt: 0)
                + String(format: " %7.3f ms %6.3f ms  %5.2f", tTwo * 1000, tFused * 1000, tFused / tTwo))
    }
}
if wanted("mobile") {
    // EfficientNet-Lite0's pointwise convs (batch 1, 224x224): narrow K (16-40) on large maps
    // and narrow N (16, 24, 40: a last panel of 8 columns), bias + ReLU6 on the expands and
    // bias (+ residual) on the projections, as in the model.
    print("\nEfficientNet-Lite0's pointwise convs (NHWC, batch 1)        GFLOP/s  of peak")
    for (m, k, n, act, res, what) in [
        (12544, 32, 16, false, false, "block 0 project 112x112"), (12544, 16, 96, true, false, "block 1 expand 112x112"),
        (3136, 96, 24, false, false, "block 1 project 56x56"), (3136, 24, 144, true, false, "block 2 expand 56x56"),
        (3136, 144, 24, false, true, "block 2 project + res"), (784, 144, 40, false, false, "block 3 project 28x28"),
        (784, 40, 240, true, false, "block 4 expand 28x28"), (784, 240, 40, false, true, "block 4 project + res"),
        (196, 80, 480, true, false, "block 6 expand 14x14"), (196, 480, 80, false, true, "block 6 project + res"),
        (25088, 16, 96, true, false, "block 1 expand, batch 2"),
    ] as [(Int, Int, Int, Bool, Bool, String)] {
        let a = random(m * k), c = random(m * n), bias = random(n)
        let residual = res ? UnsafePointer(random(m * n)) : nil
        let packed = PackedGemm.pack(random(n * k), n: n, k: k)
        let epilogue = EpilogueKernel(bias: bias, activation: act ? .relu6 : nil, postActivation: nil)
        let r = rate(flops: 2.0 * Double(m * n * k)) {
            PackedGemm.multiply(m: m, a: a, lda: k, packed, c: c, ldc: n, epilogue: epilogue, residual: residual, pool: pool)
        }
        print(
            String(format: "  M %5d K %3d N %3d ", m, k, n) + what.padding(toLength: 28, withPad: " ", startingAt: 0)
                + String(format: " %6.1f  %5.1f%%", r, 100 * r / peak))
    }
}
if wanted("attention") {
    print("\nattention softmax(q k^T / sqrt(d)) v on fused qkv (N, T, 3C)     GFLOP/s  of peak")
    for (n, t, heads, d, what) in [(1, 197, 6, 64, "DeiT-S block"), (8, 197, 6, 64, "DeiT-S block, batch 8"), (1, 197, 3, 64, "DeiT-Ti block")] {
        let c = heads * d
        let x = random(n * t * 3 * c), y = random(n * t * c)
        // The two products only (2 x 2 x heads x T x T x d per image), as the profile counts them.
        let r = rate(flops: 4.0 * Double(n * heads * t * t * d)) {
            AttentionKernel.run(batch: n, tokens: t, channels: c, heads: heads, x: x, y: y, pool: pool)
        }
        print(
            String(format: "  N %d T %3d heads %d d %2d  ", n, t, heads, d) + what.padding(toLength: 30, withPad: " ", startingAt: 0)
                + String(format: " %6.1f  %5.1f%%", r, 100 * r / peak))
    }
}

if wanted("winograd") {
    // Winograd F(4x4, 3x3) and F(2x2, 3x3) against the direct implicit-im2col GEMM on
    // ResNet-50's 3x3 stride-1 convs, bias + ReLU: the three alternate `repeats` rounds (each
    // the best of a few timings), so all see the same machine load; GFLOP/s count the direct
    // conv's operations for all, and the ratios are Winograd's time over direct's (below 1:
    // faster). The weights stay cached between timings (in a model they come from memory).
    print("\nWinograd vs direct 3x3 (NHWC, bias + ReLU)            direct  F(4x4)  F(2x2) GFLOP/s   time ratio F(4x4)  F(2x2)")
    let store = WeightStore()
    let savedRepeats = repeats
    repeats = 3
    for (cin, size, cout, batch, what) in [
        (64, 56, 64, 1, "layer1 conv2"), (128, 28, 128, 1, "layer2 conv2"), (256, 14, 256, 1, "layer3 conv2"), (512, 7, 512, 1, "layer4 conv2"),
        (64, 56, 64, 8, "layer1 conv2, batch 8"), (128, 28, 128, 8, "layer2 conv2, batch 8"), (256, 14, 256, 8, "layer3 conv2, batch 8"),
        (512, 7, 512, 8, "layer4 conv2, batch 8"),
    ] {
        let g = ConvGeometry(
            batch: batch, input: TensorType([cin, size, size]), output: TensorType([cout, size, size]), weightDims: [cout, cin, 3, 3],
            ConvAttributes(stride: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 1))
        let x = random(batch * cin * size * size), y = random(batch * cout * size * size), bias = random(cout)
        let oihw = Tensor(dims: [cout, cin, 3, 3], data: (0..<(cout * cin * 9)).map { _ in uniform() })
        let direct = store.gemm(WeightPacking.ohwi(oihw), n: cout, k: g.k)
        let tiles = WinogradKernel.Tile.allCases
        let winograd = tiles.map { store.winograd(oihw, tile: $0) }
        let scratch = random(tiles.map { WinogradKernel.scratchFloats(g, tile: $0) }.max()!)
        let epilogue = EpilogueKernel(bias: bias, activation: .relu, postActivation: nil)
        let flops = 2.0 * Double(g.m * g.k * cout)
        var directRates: [Double] = [], rates: [[Double]] = [[], []], ratios: [[Double]] = [[], []]
        for _ in 0..<savedRepeats {
            let d = rate(flops: flops) {
                ConvKernels.im2col(g, x: x, weight: direct, y: y, residual: nil, epilogue: epilogue, scratch: nil, pool: pool)
            }
            directRates.append(d)
            for i in tiles.indices {
                let w = rate(flops: flops) {
                    WinogradKernel.run(g, x: x, weight: winograd[i], y: y, residual: nil, epilogue: epilogue, scratch: scratch, pool: pool)
                }
                rates[i].append(w)
                ratios[i].append(d / w)
            }
        }
        let median = { (v: [Double]) in v.sorted()[v.count / 2] }
        print(
            String(format: "  %3d -> %3d %3dx%-3d b%d ", cin, cout, size, size, batch) + what.padding(toLength: 24, withPad: " ", startingAt: 0)
                + String(
                    format: " %6.1f  %6.1f  %6.1f             %5.2fx  %5.2fx", median(directRates), median(rates[0]), median(rates[1]),
                    median(ratios[0]), median(ratios[1])))
    }
    repeats = savedRepeats
}

if wanted("strided") {
    // ResNet-50's strided convs as the runtime runs them (in place, or a gathered im2col
    // matrix where the GEMM splits by columns: `ConvKernels.Im2colPath`) against the GEMM
    // alone on an im2col matrix already gathered: the share of the GEMM's speed they reach;
    // the 3x3s also by Winograd F(2x2, 3x3) at stride 2 (GFLOP/s of the direct conv's count).
    print("\nResNet-50's strided convs (NHWC, bias + ReLU)                  conv  GEMM alone  Winograd s2 (GFLOP/s)")
    let store = WeightStore()
    for batch in [1, 8] {
        for (cin, size, cout, k, what) in [
            (128, 56, 128, 3, "layer2.0.conv2"), (256, 28, 256, 3, "layer3.0.conv2"), (512, 14, 512, 3, "layer4.0.conv2"),
            (256, 56, 512, 1, "layer2.0.downsample"), (512, 28, 1024, 1, "layer3.0.downsample"), (1024, 14, 2048, 1, "layer4.0.downsample"),
        ] {
            let g = ConvGeometry(
                batch: batch, input: TensorType([cin, size, size]), output: TensorType([cout, size / 2, size / 2]), weightDims: [cout, cin, k, k],
                ConvAttributes(stride: [2, 2], padding: Array(repeating: k / 2, count: 4), dilation: [1, 1], groups: 1))
            let x = random(batch * cin * size * size), y = random(g.m * cout), bias = random(cout)
            let weights = store.gemm((0..<(cout * g.k)).map { _ in uniform() }, n: cout, k: g.k)
            let packed = PackedGemm.pack(random(cout * g.k), n: cout, k: g.k)
            let scratch = random(max(1, ConvKernels.scratchFloats(g, backend: .packed))), gathered = random(g.m * g.k)
            let epilogue = EpilogueKernel(bias: bias, activation: .relu, postActivation: nil)
            let flops = 2.0 * Double(g.m * g.k * cout)
            let conv = rate(flops: flops) {
                ConvKernels.im2col(g, x: x, weight: weights, y: y, residual: nil, epilogue: epilogue, scratch: scratch, pool: pool)
            }
            let gemm = rate(flops: flops) {
                PackedGemm.multiply(m: g.m, a: gathered, lda: g.k, packed, c: y, ldc: cout, epilogue: epilogue, residual: nil, pool: pool)
            }
            var winograd = ""
            if k == 3 {
                let oihw = Tensor(dims: [cout, cin, 3, 3], data: (0..<(cout * cin * 9)).map { _ in uniform() })
                let weights = store.winograd(oihw, tile: .f2x2s2)
                let scratch = random(WinogradKernel.scratchFloats(g, tile: .f2x2s2))
                let r = rate(flops: flops) {
                    WinogradKernel.run(g, x: x, weight: weights, y: y, residual: nil, epilogue: epilogue, scratch: scratch, pool: pool)
                }
                winograd = String(format: "  %6.1f", r)
            }
            print(
                String(format: "  b%d %4d -> %4d %2dx%-2d k%d s2 ", batch, cin, cout, size, size, k) + what.padding(toLength: 22, withPad: " ", startingAt: 0)
                    + String(format: " %6.1f  %6.1f", conv, gemm) + winograd)
        }
    }
}
