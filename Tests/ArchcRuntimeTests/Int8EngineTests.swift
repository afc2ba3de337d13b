import ArchcDriver
import ArchcIR
@testable import ArchcRuntime
import Foundation
import XCTest

/// The engine at `Precision.int8`: close to float32 on whole models, bitwise identical
/// across thread counts, only GEMM-shaped layers quantized; and the calibration file.
final class Int8EngineTests: XCTestCase {
    func calibrated(_ graph: Graph, _ input: Tensor) throws -> ActivationRanges {
        let engine = try Engine(graph: graph, batch: input.dims[0], threads: 2)
        let values = try engine.runAll(input)
        var ranges = ActivationRanges()
        var named: [String: Tensor] = [ActivationRanges.inputName: input]
        for node in graph.nodes { named[node.name] = values[node.id] }
        ranges.observe(named)
        return ranges
    }

    func testInt8ModelsStayCloseToFloat32() throws {
        for (spec, overrides, batch, bound) in [
            ("specs/tiny/tiny-resnet.yaml", [String](), 2, Float(0.05)), ("specs/robust-resnet-dw-small.yaml", ["input.size=64"], 2, 0.1),
            ("specs/deit-tiny.yaml", ["input.size=96"], 1, 0.1),
        ] {
            let (_, optimized) = try RuntimeTest.graphs(spec, overrides: overrides)
            let input = WeightInit.input(for: optimized, batch: batch, seed: 2)
            let ranges = try calibrated(optimized, input)
            let fp32 = try Engine(graph: optimized, batch: batch, threads: 2).run(input)
            let engine = try Engine(graph: optimized, batch: batch, threads: 2, precision: .int8(ranges))
            let int8 = try engine.run(input)
            let error = int8.relativeError(to: fp32)
            XCTAssertGreaterThan(error, 0, "\(spec): int8 must differ from fp32 somewhere (else it did not run)")
            XCTAssertLessThanOrEqual(error, bound, "\(spec): int8 vs fp32")
            XCTAssertTrue(engine.stepKinds.contains { $0.kind.hasPrefix("int8 ") }, spec)
            XCTAssertFalse(engine.stepKinds.contains { $0.kind == "int8 depthwise" }, "depthwise stays fp32")
            XCTAssertLessThan(engine.weightBytes, try Engine(graph: optimized, batch: batch, threads: 2).weightBytes, "\(spec): int8 weights are smaller")
        }
    }

    func testInt8OutputsAreBitwiseIdenticalAcrossThreadCounts() throws {
        let (_, optimized) = try RuntimeTest.graphs("specs/robust-resnet-up-inverted-dw-small.yaml", overrides: ["input.size=64"])
        let input = WeightInit.input(for: optimized, batch: 2, seed: 1)
        let ranges = try calibrated(optimized, input)
        let one = try Engine(graph: optimized, batch: 2, threads: 1, precision: .int8(ranges)).run(input)
        XCTAssertEqual(try Engine(graph: optimized, batch: 2, threads: 3, precision: .int8(ranges)).run(input).data, one.data)
    }

    /// At batch > 1 the leading int8 layers run image by image too (`BatchOrder.auto`): the
    /// same values as every layer over the batch, bitwise the same for 1 and 3 threads.
    func testInt8ImageMajorPrefixMatchesTheLayerOrder() throws {
        let (_, optimized) = try RuntimeTest.graphs("specs/efficientnet-lite0.yaml", overrides: ["input.size=128"])
        let input = WeightInit.input(for: optimized, batch: 3, seed: 5)
        let ranges = try calibrated(optimized, input)
        let engine = try Engine(graph: optimized, batch: 3, threads: 1, precision: .int8(ranges), batchOrder: .auto)
        let layerMajor = try Engine(graph: optimized, batch: 3, threads: 2, precision: .int8(ranges), batchOrder: .layer)
        XCTAssertGreaterThan(engine.imageMajorNodes, 0)
        XCTAssertEqual(layerMajor.imageMajorNodes, 0)
        // The first image's slice copy, then its prefix steps: int8 ones among them.
        XCTAssertEqual(engine.stepKinds[0].kind, "image slices")
        XCTAssertTrue(engine.stepKinds[1...engine.imageMajorNodes].contains { $0.kind.hasPrefix("int8 ") }, "int8 steps in the prefix")
        let output = try engine.run(input)
        XCTAssertLessThanOrEqual(output.relativeError(to: try layerMajor.run(input)), 1e-5)
        let three = try Engine(graph: optimized, batch: 3, threads: 3, precision: .int8(ranges), batchOrder: .auto)
        XCTAssertEqual(try three.run(input).data, output.data)
    }

    /// Which layers run int8: an RGB 3x3 stem (K = 27) stays float32, a patchify stem
    /// (K = 768) and a 7x7 stem (K = 147) do not, and neither do 1x1 convs.
    func testShallowConvsStayFloat32() throws {
        for (spec, stemInInt8) in [
            ("specs/efficientnet-lite0.yaml", false), ("specs/robust-resnet-dw-small.yaml", true), ("specs/resnet50.yaml", true),
        ] {
            let (_, optimized) = try RuntimeTest.graphs(spec, overrides: ["input.size=64"])
            let input = WeightInit.input(for: optimized, batch: 1, seed: 3)
            let engine = try Engine(graph: optimized, batch: 1, threads: 1, precision: .int8(try calibrated(optimized, input)))
            let first = try XCTUnwrap(engine.stepKinds.first)
            XCTAssertEqual(first.kind.hasPrefix("int8 "), stemInInt8, "\(spec): the stem runs \(first.kind)")
            XCTAssertTrue(engine.stepKinds.contains { $0.kind == "int8 pointwise" }, spec)
            XCTAssertEqual(ActivationRanges.needed(by: optimized).contains(ActivationRanges.inputName), stemInInt8, "\(spec): the image's range")
        }
    }

    /// The int8 scratch (the quantized input, or its u8 im2col) is sized by the steps that
    /// run in int8 only: tiny-resnet's 3x3 stem on RGB (16x16 rows x 28 bytes per image) stays
    /// float32 and used to size it.
    func testInt8ScratchIgnoresFloat32Steps() throws {
        let (_, optimized) = try RuntimeTest.graphs("specs/tiny/tiny-resnet.yaml")
        let input = WeightInit.input(for: optimized, batch: 2, seed: 3)
        let engine = try Engine(graph: optimized, batch: 2, threads: 1, precision: .int8(try calibrated(optimized, input)))
        XCTAssertEqual(engine.stepKinds.first?.kind, "stem")
        let bytes = Engine.int8ScratchBytes(engine.kernelPlan, batch: 2)
        XCTAssertGreaterThan(bytes, 0)
        XCTAssertLessThan(bytes, 2 * 16 * 16 * 28, "the float32 stem's im2col must not size the int8 scratch")
    }

    func testMissingRangeIsAnError() throws {
        let (_, optimized) = try RuntimeTest.graphs("specs/tiny/tiny-resnet.yaml")
        XCTAssertThrowsError(try Engine(graph: optimized, batch: 1, threads: 1, precision: .int8(ActivationRanges()))) { error in
            XCTAssertTrue("\(error)".contains("no calibrated range for the input of"), "\(error)")
        }
    }

    func testCalibrationFileRoundTripsAndLocatesErrors() throws {
        let (_, optimized) = try RuntimeTest.graphs("specs/tiny/tiny-resnet.yaml")
        let input = WeightInit.input(for: optimized, batch: 1, seed: 2)
        var ranges = try calibrated(optimized, input)
        ranges.images = 1
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("int8-calib-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("calib.json").path
        try CalibrationFile.write(ranges, model: "tiny-resnet", to: path)
        let back = try CalibrationFile.read(path, model: "tiny-resnet", graph: optimized)
        XCTAssertEqual(back.images, 1)
        for name in ActivationRanges.needed(by: optimized) {
            XCTAssertEqual(back.ranges[name], ranges.ranges[name], name)
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let needed = ActivationRanges.needed(by: optimized)[1]
        func failure(_ contents: String, model: String = "tiny-resnet") -> String {
            try? contents.write(toFile: path, atomically: false, encoding: .utf8)
            do {
                _ = try CalibrationFile.read(path, model: model, graph: optimized)
                return "no error"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(failure("{\"archc_calibration\": 1, \"ranges\": {").hasPrefix("\(path): error: not valid JSON ("))
        XCTAssertEqual(failure("[1, 2]"), "\(path): error: not an archc calibration file: expected an object with \"archc_calibration\": 1")
        XCTAssertEqual(
            failure(text, model: "resnet50"), "\(path):3:3: error: calibrated for model 'tiny-resnet', not 'resnet50'; run archc calibrate for this spec")
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("\"\(needed)\":") }! + 1
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[line - 1] = "    \"\(needed)\": [5, 1]" + (lines[line - 1].hasSuffix(",") ? "," : "")
        let swapped = lines.joined(separator: "\n")
        XCTAssertTrue(failure(swapped).hasPrefix("\(path):\(line):5: error: range of '\(needed)' must be float32 numbers with min <= max"), failure(swapped))
        // 1e308 is a finite double but not a float32: shown as written (it read "[0.0, inf]").
        lines[line - 1] = "    \"\(needed)\": [0, 1e308]" + (lines[line - 1].hasSuffix(",") ? "," : "")
        XCTAssertEqual(
            failure(lines.joined(separator: "\n")),
            "\(path):\(line):5: error: range of '\(needed)' must be float32 numbers with min <= max, found [0.0, 1e+308]")
        let missing = text.replacingOccurrences(of: "\"\(needed)\":", with: "\"renamed\":")
        XCTAssertEqual(failure(missing), "\(path): error: no range for '\(needed)', which an int8 layer reads; run archc calibrate for this spec")
        XCTAssertEqual(
            failure(text.replacingOccurrences(of: "\"archc_calibration\": 1", with: "\"archc_calibration\": 9")),
            "\(path):2:3: error: unsupported calibration version 9, expected 1")
        // The same with Windows line ends: every error was placed on line 1.
        XCTAssertEqual(
            failure(text.replacingOccurrences(of: "\"archc_calibration\": 1", with: "\"archc_calibration\": 9").replacingOccurrences(of: "\n", with: "\r\n")),
            "\(path):2:3: error: unsupported calibration version 9, expected 1")
        XCTAssertEqual(
            failure(text.replacingOccurrences(of: "\n", with: "\r\n"), model: "resnet50"),
            "\(path):3:3: error: calibrated for model 'tiny-resnet', not 'resnet50'; run archc calibrate for this spec")

        // Ranges of another graph whose value names match (the spec edited since: here its
        // width) were applied without a word.
        try CalibrationFile.write(ranges, model: "tiny-resnet", graph: optimized, to: path)
        XCTAssertNoThrow(try CalibrationFile.read(path, model: "tiny-resnet", graph: optimized))
        let (_, edited) = try RuntimeTest.graphs("specs/tiny/tiny-resnet.yaml", overrides: ["stem[0].conv.out=16"])
        XCTAssertEqual(Set(ActivationRanges.needed(by: edited)), Set(ActivationRanges.needed(by: optimized)), "the same value names")
        let hash = graphHash(optimized), editedHash = graphHash(edited)
        XCTAssertNotEqual(hash, editedHash)
        let recorded = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(
            failure(recorded.replacingOccurrences(of: "\"graph\": \"\(hash)\"", with: "\"graph\": 7")), "\(path):4:3: error: \"graph\" must be a hash string")
        try recorded.write(toFile: path, atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try CalibrationFile.read(path, model: "tiny-resnet", graph: edited)) { error in
            XCTAssertEqual(
                "\(error)",
                "\(path):4:3: error: calibrated on another graph (hash \(hash); this spec and its --set give \(editedHash)): the spec changed since; run archc calibrate again"
            )
        }
    }
}
