// swift-tools-version:6.0
// archc: spec.yaml -> validated, costed network -> graph IR -> passes -> runtime / codegen / ONNX.
// Targets follow that pipeline; dependencies point one way, from the spec layer to the CLI.
import PackageDescription

let package = Package(
    name: "archc",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "archc", targets: ["archc"]),
        .library(name: "ArchcSpec", targets: ["ArchcSpec"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // The spec language: YAML with locations, block templates, expressions,
        // elaboration with shape inference, diagnostics, cost accounting and budgets.
        .target(
            name: "ArchcSpec",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // The command line: parses flags, calls the libraries, prints.
        .executableTarget(
            name: "archc",
            dependencies: [
                "ArchcSpec",
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
            name: "ArchcCLITests",
            dependencies: ["archc"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
    ]
)
