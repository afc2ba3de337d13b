// swift-tools-version:6.0
// archc: spec.yaml -> validated, costed network -> graph IR -> passes -> runtime / codegen / ONNX.
// Targets follow that pipeline; dependencies point one way, from the spec layer to the CLI.
import Foundation
import PackageDescription

/// Tensor loops (weight initialisation, weight folding, the reference interpreter) are 20-50x slower
/// unoptimized; tests run them on whole models, so these targets are optimized in debug too.
let optimizedEvenInDebug = SwiftSetting.unsafeFlags(["-O"], .when(configuration: .debug))

let package = Package(
    name: "archc",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "archc", targets: ["archc"]),
        .library(name: "ArchcSpec", targets: ["ArchcSpec"]),
        // What a generated model needs: the kernels and the tensor readers.
        .library(name: "ArchcRuntime", targets: ["ArchcRuntime"]),
        .library(name: "ArchcIO", targets: ["ArchcIO"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // What every layer shares and nothing else needs: source locations.
        .target(name: "ArchcCore", swiftSettings: [.swiftLanguageMode(.v5)]),
        // The spec language: YAML with locations, block templates, expressions,
        // elaboration with shape inference, diagnostics, cost accounting and budgets.
        .target(
            name: "ArchcSpec",
            dependencies: ["ArchcCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // The graph IR: typed dataflow graph, textual form, verifier. Knows nothing of the spec language.
        .target(
            name: "ArchcIR",
            dependencies: ["ArchcCore"],
            swiftSettings: [.swiftLanguageMode(.v5), optimizedEvenInDebug]
        ),
        // Spec -> IR: an elaborated network as a graph, one node per layer.
        .target(
            name: "ArchcLowering",
            dependencies: ["ArchcSpec", "ArchcIR"],
            swiftSettings: [.swiftLanguageMode(.v5), optimizedEvenInDebug]
        ),
        // The optimization pipeline: BatchNorm and layer-scale folding, epilogue fusion.
        .target(
            name: "ArchcPasses",
            dependencies: ["ArchcIR"],
            swiftSettings: [.swiftLanguageMode(.v5), optimizedEvenInDebug]
        ),
        // The reference interpreter: plain loops, the oracle for passes and the fast runtime.
        .target(
            name: "ArchcInterpreter",
            dependencies: ["ArchcIR"],
            swiftSettings: [.swiftLanguageMode(.v5), optimizedEvenInDebug]
        ),
        // Tensor files: .npy inputs and outputs, safetensors checkpoints, atomic writes.
        .target(
            name: "ArchcIO",
            dependencies: ["ArchcIR"],
            swiftSettings: [.swiftLanguageMode(.v5), optimizedEvenInDebug]
        ),
        // OpenBLAS's CBLAS (Debian: libopenblas-dev), for the GEMMs of pointwise and im2col convs.
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Photos in: PNG (libpng) and JPEG (libjpeg-turbo) decoding, resizing, normalising;
        // ImageNet class names.
        .systemLibrary(name: "CPNG", pkgConfig: "libpng16", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .target(
            name: "ArchcImage",
            dependencies: ["ArchcIR", "ArchcIO", "CPNG", "CTurboJPEG"],
            swiftSettings: [.swiftLanguageMode(.v5), optimizedEvenInDebug]
        ),
        // What Swift cannot say: software prefetch, the FMA-peak probe (inline assembly) behind
        // the profile's "of peak" column and the kernel benchmark, and the kernels compiled per
        // function for instructions beyond the common target (the int8 GEMM, the 512-bit tile).
        // Optimized in debug too: the 512-bit GEMM tile and the int8 GEMM are hot loops.
        .target(name: "CKernelSupport", cSettings: [.unsafeFlags(["-O2"])]),
        // The kernels: SIMD convolutions and GEMM with fused epilogues, the worker pool. The only
        // code built unchecked (bounds and overflow checks cost the hot loops); callers validate.
        .target(
            name: "ArchcKernels",
            dependencies: ["ArchcIR", "COpenBLAS", "CKernelSupport"],
            swiftSettings: [.swiftLanguageMode(.v5), .unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"])]
        ),
        // The CPU runtime: engine, memory plan, packed weight store; checked, it validates what
        // reaches the kernels (input shapes, CPU features).
        .target(
            name: "ArchcRuntime",
            dependencies: ["ArchcIR", "ArchcKernels", "CKernelSupport"],
            swiftSettings: [.swiftLanguageMode(.v5), .unsafeFlags(["-O"])]
        ),
        // ONNX export through swift-protobuf; Proto/onnx.pb.swift is generated once and committed.
        .target(
            name: "ArchcONNX",
            dependencies: ["ArchcIR", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Proto/onnx.proto", "Proto/regenerate.sh"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // The Swift code emitter: an optimized graph as a Swift class calling the runtime's kernels.
        .target(
            name: "ArchcCodegen",
            dependencies: ["ArchcSpec", "ArchcIR", "ArchcRuntime"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // The PyTorch emitter: a spec as written (unfused) as a standalone nn.Module file to train.
        .target(
            name: "ArchcPyTorch",
            dependencies: ["ArchcSpec"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // generated/: the emitted Swift models (./generate.sh), compiled into `archc-generated` only,
        // so that archc, which writes them, builds whatever state generated/ is in.
        .target(
            name: "ArchcGenerated",
            dependencies: ["ArchcIR", "ArchcRuntime"],
            path: "generated",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // Orchestration shared by the commands: spec -> weighted, optimized graph; benchmarks.
        .target(
            name: "ArchcDriver",
            dependencies: ["ArchcSpec", "ArchcIR", "ArchcLowering", "ArchcPasses", "ArchcRuntime", "ArchcIO", "ArchcInterpreter", "ArchcImage"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // The kernel benchmark: the runtime's kernels alone on the paper's shapes, against the
        // measured FMA peak (`swift run -c release archc-kernels`).
        .executableTarget(
            name: "archc-kernels",
            dependencies: ["ArchcKernels", "ArchcRuntime", "ArchcIR"],
            swiftSettings: [.swiftLanguageMode(.v5), .unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"])]
        ),
        // The command line: parses flags, calls the libraries, prints.
        .executableTarget(
            name: "archc",
            dependencies: [
                "ArchcSpec", "ArchcIR", "ArchcLowering", "ArchcPasses", "ArchcRuntime", "ArchcIO", "ArchcDriver", "ArchcONNX", "ArchcImage",
                "ArchcCodegen", "ArchcPyTorch", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // The models in generated/, run like `archc run` runs a spec (`archc-generated SPEC`).
        .executableTarget(
            name: "archc-generated",
            dependencies: [
                "ArchcSpec", "ArchcIR", "ArchcRuntime", "ArchcIO", "ArchcDriver", "ArchcGenerated",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(
            name: "ArchcSpecTests",
            dependencies: ["ArchcSpec"],
            exclude: ["Fixtures"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(
            name: "ArchcIRTests",
            dependencies: ["ArchcIR", "ArchcLowering", "ArchcPasses", "ArchcInterpreter", "ArchcSpec"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(
            name: "ArchcRuntimeTests",
            dependencies: [
                "ArchcRuntime", "ArchcKernels", "CKernelSupport", "ArchcIR", "ArchcLowering", "ArchcPasses", "ArchcInterpreter", "ArchcSpec",
                "ArchcDriver",
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // archc eval: data set layouts, streaming evaluation, sharding and merging, mCE, corruptions.
        .testTarget(
            name: "ArchcEvalTests",
            dependencies: ["ArchcDriver", "ArchcImage", "ArchcIO", "ArchcSpec", "ArchcIR"],
            exclude: ["Fixtures"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // The readers and writers: tensor files and checkpoints (fixtures), and hostile and
        // edge-case files, images and output paths.
        .testTarget(
            name: "ArchcIOTests",
            dependencies: ["ArchcIO", "ArchcIR", "ArchcImage", "ArchcDriver", "ArchcSpec", "CTurboJPEG"],
            exclude: ["Fixtures"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(
            name: "ArchcImageTests",
            dependencies: ["ArchcImage", "ArchcIO", "ArchcIR"],
            exclude: ["Fixtures"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(
            name: "ArchcCodegenTests",
            dependencies: ["ArchcCodegen", "ArchcDriver", "ArchcGenerated", "ArchcRuntime", "ArchcIR", "ArchcLowering", "ArchcSpec"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(
            name: "ArchcPyTorchTests",
            dependencies: ["ArchcPyTorch", "ArchcSpec"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(
            name: "ArchcCLITests",
            dependencies: ["archc", "archc-generated"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
    ]
)

// libFuzzer targets (Tests/fuzz/run.sh): each an executable whose LLVMFuzzerTestOneInput is
// driven by libFuzzer (linked by -sanitize=fuzzer, absent otherwise), so they exist only
// when ARCHC_FUZZ is set, in a build of their own: `ARCHC_FUZZ=1 swift build --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address --product fuzz-npy`.
if ProcessInfo.processInfo.environment["ARCHC_FUZZ"] != nil {
    let fuzzers: [(name: String, folder: String, dependencies: [Target.Dependency])] = [
        ("fuzz-spec", "FuzzSpec", ["ArchcSpec", "CFuzzerDriver"]),
        ("fuzz-safetensors", "FuzzSafetensors", ["ArchcIO", "CFuzzerDriver"]),
        ("fuzz-torch", "FuzzTorch", ["ArchcIO", "CFuzzerDriver"]),
        ("fuzz-npy", "FuzzNPY", ["ArchcIO", "CFuzzerDriver"]),
        ("fuzz-image", "FuzzImage", ["ArchcImage", "CFuzzerDriver"]),
    ]
    package.targets.append(.target(name: "CFuzzerDriver", path: "Tests/fuzz/CFuzzerDriver"))
    for fuzzer in fuzzers {
        package.targets.append(
            .executableTarget(
                name: fuzzer.name, dependencies: fuzzer.dependencies, path: "Tests/fuzz/\(fuzzer.folder)",
                swiftSettings: [.swiftLanguageMode(.v5), .unsafeFlags(["-parse-as-library"])]
            ))
        package.products.append(.executable(name: fuzzer.name, targets: [fuzzer.name]))
    }
}
