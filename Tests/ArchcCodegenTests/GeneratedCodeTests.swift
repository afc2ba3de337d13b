import ArchcCodegen
import ArchcDriver
import ArchcGenerated
import ArchcIR
import ArchcRuntime
import Foundation
import XCTest

/// generated/ is fresh (each file is what archc emits today) and every generated model
/// computes what the runtime computes.
final class GeneratedCodeTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private let directory = GeneratedCodeTests.root.appendingPathComponent("generated")

    /// A spec that no longer builds fails the test: a skip would hide a stale generated/.
    struct CannotPrepare: Error, CustomStringConvertible {
        var description: String
    }

    private func prepare(_ spec: String) throws -> PreparedModel {
        var options = PreparedModel.Options()
        options.initStyle = .stress  // statistics that would expose a wrong kernel call
        options.elaboration.directory = GeneratedCodeTests.root.path
        switch PreparedModel.prepare(spec: spec, options) {
        case .success(let model): return model
        case .failure(let failure): throw CannotPrepare(description: "cannot prepare \(spec): \(failure)")
        }
    }

    func testEveryGeneratedFileIsFresh() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".swift") && $0 != "GeneratedModels.swift" }
        XCTAssertEqual(files.count, GeneratedModels.all.count, "generated/GeneratedModels.swift is stale; run ./generate.sh")
        for file in files.sorted() {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            let command = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("// regenerate: ") }?.dropFirst("// regenerate: ".count), file)
            let words = command.split(separator: " ").map(String.init)
            XCTAssertEqual(Array(words.prefix(2)), ["archc", "compile"], file)
            let model = try prepare(words[2])
            let fresh = SwiftEmitter.emit(
                model.optimized, network: model.network, typeName: SwiftEmitter.typeName(for: model.network.name), command: String(command))
            XCTAssertTrue(fresh == text, "generated/\(file) is stale; regenerate it with ./generate.sh")
        }
    }

    /// Scratch is asked of the kernels at run time, for every step that uses it: a size fixed
    /// when the file was generated overflowed the heap once the Winograd kernel's groups grew
    /// (a generated ResNet-50 aborted in malloc).
    func testGeneratedModelsAskTheKernelsForTheirScratch() throws {
        let model = try prepare("specs/resnet50.yaml")
        let text = SwiftEmitter.emit(model.optimized, network: model.network, typeName: "Resnet50", command: "archc compile specs/resnet50.yaml --emit swift")
        let users = text.components(separatedBy: "WinogradKernel.run(").count + text.components(separatedBy: "ConvKernels.im2col(").count - 2
        XCTAssertGreaterThan(users, 10)
        XCTAssertEqual(text.components(separatedBy: "scratchFloats(ConvGeometry(batch: n").count - 1, users)
        XCTAssertTrue(text.contains("scratchFloats: Self.scratchFloats(batch: n)"))
        XCTAssertFalse(text.contains("scratchFloatsPerImage"))
    }

    /// The arena and scratch were allocated and freed on every `predict`: each run faulted in
    /// and zeroed their pages again (generated EfficientNet-Lite0 at batch 1: 18.5 ms against
    /// the runtime's 10, a third of its CPU time in the kernel's page-fault path).
    func testGeneratedModelsKeepTheirBuffersBetweenCalls() throws {
        let model = try prepare("specs/tiny/tiny-resnet.yaml")
        let text = SwiftEmitter.emit(model.optimized, network: model.network, typeName: "TinyResnet", command: "archc compile")
        XCTAssertTrue(text.contains("let buffers = GeneratedBuffers()"))
        XCTAssertTrue(text.contains("try buffers.with(batch: n, arenaBytesPerImage: Self.arenaBytesPerImage"))
        XCTAssertFalse(text.contains(".allocate("), "no allocation per call")

        let buffers = GeneratedBuffers()
        let first = try buffers.with(batch: 2, arenaBytesPerImage: 1000, scratchFloats: 10) { arena, scratch in
            arena.storeBytes(of: 7, toByteOffset: 1999, as: UInt8.self)
            scratch[9] = 3
            return (arena, scratch)
        }
        let again = try buffers.with(batch: 2, arenaBytesPerImage: 1000, scratchFloats: 10) { arena, scratch in
            XCTAssertEqual(arena.load(fromByteOffset: 1999, as: UInt8.self), 7)
            XCTAssertEqual(scratch[9], 3)
            return (arena, scratch)
        }
        XCTAssertEqual(first.0, again.0)
        XCTAssertEqual(first.1, again.1)
        // Another batch gets buffers of its own size, writable to their last byte.
        try buffers.with(batch: 5, arenaBytesPerImage: 1000, scratchFloats: 10_000) { arena, scratch in
            arena.storeBytes(of: 1, toByteOffset: 4999, as: UInt8.self)
            scratch[9999] = 1
        }
        XCTAssertThrowsError(try buffers.with(batch: 1 << 40, arenaBytesPerImage: 1 << 30, scratchFloats: 1) { _, _ in }) { error in
            XCTAssertTrue("\(error)".contains("cannot allocate the activations of batch 1099511627776"), "\(error)")
        }
    }

    func testGeneratedModelsMatchTheRuntime() throws {
        for (spec, type) in GeneratedModels.all.sorted(by: { $0.key < $1.key }) {
            let model = try prepare(spec)
            XCTAssertEqual(type.graphHash, graphHash(model.optimized), "\(spec): generated model is stale")
            // Lite0 also at batch 2: its expand+dw pairs run fused over the batch in generated
            // code, image by image in the runtime's prefix.
            for batch in spec.contains("tiny") ? [3] : spec.contains("lite0") ? [1, 2] : [1] {
                let input = WeightInit.input(for: model.optimized, batch: batch, seed: 21)
                let expected = try Engine(graph: model.optimized, batch: batch, threads: 2).run(input)
                let generated = try type.init(weights: model.optimized.constants, threads: 2).predict(input)
                let error = generated.relativeError(to: expected)
                XCTAssertLessThanOrEqual(error, 1e-5, "\(spec) batch \(batch): generated model differs from the runtime by \(error)")
            }
        }
    }

    /// The generated Lite0 runs the expand+dw pairs the runtime fuses at batch 1 as one call
    /// each (it ran them as two steps, 1.64x the runtime's time).
    func testGeneratedLite0CallsTheFusedExpandDepthwiseKernel() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("generated/EfficientnetLite0.swift"), encoding: .utf8)
        let model = try prepare("specs/efficientnet-lite0.yaml")
        let fused = KernelPlan(model.optimized, fusion: .auto).steps.filter { $0.kind == "expand+dw" }.count / 2
        XCTAssertGreaterThan(fused, 5)
        XCTAssertEqual(text.components(separatedBy: "ExpandDepthwiseKernel.run(").count - 1, fused)
    }

    /// The generated ResNet-50 writes each bottleneck's last 1x1 conv over its residual, as the
    /// runtime does (one buffer offset for both), and checks at load that the kernel library
    /// still does that safely at the conv's depth.
    func testGeneratedResNet50WritesItsConv3sInPlace() throws {
        let model = try prepare("specs/resnet50.yaml")
        let text = SwiftEmitter.emit(model.optimized, network: model.network, typeName: "Resnet50", command: "archc compile")
        let pairs = KernelPlan(model.optimized, fusion: .auto).inPlaceResiduals
        XCTAssertEqual(pairs.count, 16, "ResNet-50's 16 bottleneck blocks")
        XCTAssertEqual(text.components(separatedBy: "try requireInPlace(k: ").count - 1, 16)
        for name in ["layer1.0.conv3", "layer4.2.conv3"] {
            XCTAssertTrue(text.contains("requireInPlace(k: \(name.hasPrefix("layer1") ? 64 : 512), \"\(name)\")"))
        }
        XCTAssertNoThrow(try requireInPlace(k: 512, "x"))
        XCTAssertThrowsError(try requireInPlace(k: 513, "layer9.conv3")) {
            XCTAssertEqual(
                "\($0)", "'layer9.conv3' writes its output over its residual at depth 513, which this kernel library does not do: regenerate the file")
        }
    }

    func testMissingOrMisshapenWeightsAreErrors() throws {
        let model = try prepare("specs/tiny/tiny-resnet.yaml")
        let type = try XCTUnwrap(GeneratedModels.all["specs/tiny/tiny-resnet.yaml"])
        var weights = model.optimized.constants
        weights["fc.weight"] = nil
        XCTAssertThrowsError(try type.init(weights: weights, threads: 1)) { XCTAssertEqual("\($0)", "missing weight 'fc.weight'") }
        weights["fc.weight"] = Tensor(zeros: [2, 2])
        XCTAssertThrowsError(try type.init(weights: weights, threads: 1)) { XCTAssertEqual("\($0)", "weight 'fc.weight' has shape [2, 2], expected [5, 32]") }
    }

    /// A generated model checks its input before its (unchecked) kernels see it.
    func testWrongInputShapeThrows() throws {
        let model = try prepare("specs/tiny/tiny-resnet.yaml")
        let type = try XCTUnwrap(GeneratedModels.all["specs/tiny/tiny-resnet.yaml"])
        let generated = try type.init(weights: model.optimized.constants, threads: 1)
        let shape = type.inputShape
        XCTAssertNoThrow(try generated.predict(Tensor(zeros: [2] + shape)))
        for dims in [[0] + shape, shape, [1, shape[0] + 1] + shape.dropFirst(), [1, shape.reduce(1, *)]] {
            XCTAssertThrowsError(try generated.predict(Tensor(zeros: dims)), "\(dims)") {
                XCTAssertTrue("\($0)".hasPrefix("expected an input of shape [1, \(shape[0]), "), "\($0)")
                XCTAssertTrue("\($0)".hasSuffix("found \(dims)"), "\($0)")
            }
        }
    }
}
