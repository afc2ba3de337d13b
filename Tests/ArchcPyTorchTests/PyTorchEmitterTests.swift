import ArchcPyTorch
import ArchcSpec
import Foundation
import XCTest

/// The PyTorch emitter without PyTorch: every spec's emitted file is byte-identical to the one
/// checked in under Tests/python/data/pytorch-emit/ (whose state_dict names and shapes,
/// outputs and fvcore MACs make_pytorch_emit_fixtures.py checked under PyTorch), those names
/// and shapes are archc's tensors, and what cannot be written is a located error.
final class PyTorchEmitterTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Tests/python/data/pytorch-emit")

    struct Manifest: Decodable {
        struct Entry: Decodable {
            var spec: String
            var file: String
            var tensors: [String: [Int]]
        }

        var specs: [Entry]
    }

    func manifest() throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("emitted.json")))
    }

    /// Emits `spec` (a path under the repo root) as `archc compile` would, without `--set`.
    func emit(_ spec: String, overrides: [String] = [], file: String? = nil) -> (String?, DiagnosticEngine, Network?) {
        let compilation = Compiler.compile(path: Self.root.appendingPathComponent(spec).path, overrides: overrides)
        guard let spec = compilation.spec, let network = compilation.network, compilation.succeeded else {
            return (nil, compilation.diagnostics, compilation.network)
        }
        let name = file ?? URL(fileURLWithPath: spec.file).deletingPathExtension().lastPathComponent + ".py"
        let relative = String(spec.file.dropFirst(Self.root.path.count + 1))
        let command = (["archc", "compile", relative] + overrides.flatMap { ["--set", $0] } + ["--emit", "pytorch", "-o", name]).joined(separator: " ")
        let source = PyTorchEmitter.emit(spec: spec, network: network, command: command, root: Self.root.path, diagnostics: compilation.diagnostics)
        return (source, compilation.diagnostics, network)
    }

    func testEverySpecIsCoveredByTheFixtures() throws {
        let specs = try FileManager.default.subpathsOfDirectory(atPath: Self.root.appendingPathComponent("specs").path)
            .filter { $0.hasSuffix(".yaml") && !$0.hasPrefix("blocks/") }.map { "specs/" + $0 }.sorted()
        XCTAssertEqual(try manifest().specs.map(\.spec).sorted(), specs, "run Tests/python/make_pytorch_emit_fixtures.py")
    }

    func testEmittedFilesAreByteIdenticalToTheCheckedInOnes() throws {
        for entry in try manifest().specs {
            let (source, diagnostics, _) = emit(entry.spec)
            XCTAssertFalse(diagnostics.hasErrors, diagnostics.rendered())
            let checkedIn = try String(contentsOf: Self.fixtures.appendingPathComponent(entry.file), encoding: .utf8)
            XCTAssertEqual(source, checkedIn, "\(entry.spec): the emitted file changed; run Tests/python/make_pytorch_emit_fixtures.py")
        }
    }

    func testPyTorchStateDictNamesAndShapesAreTheSpecsTensors() throws {
        for entry in try manifest().specs {
            let network = try XCTUnwrap(emit(entry.spec).2)
            let expected = Dictionary(uniqueKeysWithValues: network.tensors.map { ($0.name, $0.shape) })
            XCTAssertEqual(entry.tensors, expected, entry.spec)
        }
    }

    func testSameSpecSameBytesAndOverridesReachTheFile() throws {
        let spec = "specs/tiny/tiny-robust-dw.yaml"
        XCTAssertEqual(emit(spec).0, emit(spec).0)
        let edited = try XCTUnwrap(emit(spec, overrides: ["stages[1].kernel=7"]).0)
        XCTAssertTrue(edited.contains("RobustDw(32, dim=16, kernel=7, stride=2, downsample=True),"), edited)
        XCTAssertTrue(edited.contains("--set stages[1].kernel=7 --emit pytorch"), edited)
    }

    func testBlockClassReadsLikeTheSpec() throws {
        let source = try XCTUnwrap(emit("specs/resnet50.yaml").0)
        for line in [
            "class Bottleneck(nn.Module):",
            "    def __init__(self, in_channels: int, *, width: int, expansion: int = 4, stride: int = 1, downsample: bool = False):",
            "        self.conv2 = nn.Conv2d(width, width, kernel_size=3, stride=stride, padding=1, bias=False)",
            "        self.downsample = nn.Sequential(",
            "        ) if downsample else None",
            "        x = F.relu(x)",
            "        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)",
            "        self.layer3 = nn.Sequential(",
            "            Bottleneck(512, width=256, stride=2, downsample=True),",
            "        x = F.max_pool2d(x, kernel_size=3, stride=2, padding=1)",
            "        x = self.layer4(x)",
            "        self.fc = nn.Linear(2048, 1000)",
        ] {
            XCTAssertTrue(source.contains(line + "\n"), "missing: \(line)")
        }
    }

    func testTransformerLayersAndStageDownsamples() throws {
        let deit = try XCTUnwrap(emit("specs/deit-small.yaml").0)
        for line in [
            "class Attention(nn.Module):", "        self.attn = Attention(in_channels, heads=heads)", "        self.drop_path1 = DropPath(0.0)",
            "        skip = x", "        x = x + skip", "        self.cls_token = nn.Parameter(torch.zeros(1, 1, 384))",
            "        self.pos_embed = nn.Parameter(torch.zeros(1, 197, 384))", "        x = x.flatten(2).transpose(1, 2)", "        x = x[:, 0]",
            "        self.head = nn.Linear(384, 1000)",
        ] {
            XCTAssertTrue(deit.contains(line + "\n"), "missing: \(line)")
        }
        let convnext = try XCTUnwrap(emit("specs/convnext-tiny.yaml").0)
        for line in [
            "        x = self.mlp.fc1(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)", "        self.norm = LayerNorm2d(in_channels, eps=1e-06)",
            "                \"downsample\": ConvnextDownsample(96, dim=192, stride=2),", "        x = self.stem[1](x)",
        ] {
            XCTAssertTrue(convnext.contains(line + "\n"), "missing: \(line)")
        }
    }

    func testElaborationRecordsEachBlockInstance() throws {
        let network = try XCTUnwrap(emit("specs/efficientnet-lite0.yaml").2)
        XCTAssertEqual(network.blocks.count, 16)
        XCTAssertEqual(network.blocks[1].path, "_blocks.1")
        XCTAssertEqual(network.blocks[1].values["stride"], .int(2))
        XCTAssertEqual(network.blocks[1].residual, .none)
        XCTAssertEqual(network.blocks[2].residual, .identity)
        let resnet = try XCTUnwrap(emit("specs/tiny/tiny-resnet.yaml").2)
        XCTAssertEqual(resnet.blocks.map(\.residual), [.projection, .projection, .identity])
        XCTAssertEqual(resnet.blocks[0].values["out"], .int(16))
    }

    /// Names, docs, paths and the command line are text inside docstrings and comments of the
    /// emitted file: none may end its docstring or line early (a model name holding `"""`
    /// made `import model` run the rest of the name), nor hide code behind control or
    /// bidirectional characters.
    func testSpecTextCannotEscapeItsDocstringOrComment() throws {
        let hostile = "t\"\"\" ; __import__('os').system('touch PWN') #"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archc-py-\(UUID().uuidString)\n\"\"\"__import__('os')\u{202E}")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("hostile.yaml")
        let yaml = Self.base.replacingOccurrences(of: "act: act", with: "relu")
            .replacingOccurrences(of: "model: bad", with: "model: \"t\\\"\\\"\\\" ; __import__('os').system('touch PWN') #\"")
            .replacingOccurrences(of: "  b:\n", with: "  b:\n    doc: \"x\\\"\\\"\\\"\\n__import__('os').system('touch PWN2') #\\u202E\\r\"\n")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let compilation = Compiler.compile(path: file.path)
        XCTAssertTrue(compilation.succeeded, compilation.diagnostics.rendered())
        XCTAssertEqual(compilation.spec?.name, hostile)
        XCTAssertEqual(compilation.spec?.blocks["b"]?.doc, "x\"\"\"\n__import__('os').system('touch PWN2') #\u{202E}\r")
        let source = try XCTUnwrap(
            PyTorchEmitter.emit(
                spec: compilation.spec!, network: compilation.network!, command: "archc compile \(file.path)\n__import__('os')",
                diagnostics: compilation.diagnostics))
        XCTAssertFalse(source.unicodeScalars.contains { $0 == "\u{202E}" || $0 == "\r" }, "raw control or bidirectional characters")
        XCTAssertTrue(source.contains("\\u202e"), "the override is written as an escape")
        var docstrings = 0
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            let code = line.replacingOccurrences(of: "\\\\", with: "").replacingOccurrences(of: "\\\"", with: "")
            let text = code.trimmingCharacters(in: .whitespaces)
            let quotes = code.components(separatedBy: "\"\"\"").count - 1
            XCTAssertTrue(quotes == 0 || (quotes == 2 && text.hasPrefix("\"\"\"") && text.hasSuffix("\"\"\"")), "a docstring ends early: \(line)")
            if quotes == 2 { docstrings += 1 }
            if line.contains("__import__") {
                XCTAssertTrue(text.hasPrefix("#") || quotes == 2, "spec text outside a comment or docstring: \(line)")
            }
        }
        XCTAssertGreaterThanOrEqual(docstrings, 2, "the model's and the block's docstrings")
    }

    // MARK: - What the emitter cannot write is a located error

    func emitError(_ yaml: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archc-pytorch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let compilation = Compiler.compile(path: file.path)
        XCTAssertTrue(compilation.succeeded, compilation.diagnostics.rendered())
        let diagnostics = compilation.diagnostics
        let source = PyTorchEmitter.emit(
            spec: compilation.spec!, network: compilation.network!, command: "archc", root: directory.path, diagnostics: diagnostics)
        XCTAssertNil(source)
        return diagnostics.rendered().replacingOccurrences(of: directory.path + "/", with: "")
    }

    static let base = """
        model: bad
        input: {channels: 3, size: 8}
        blocks:
          b:
            params: {dim: int, act: relu}
            body:
              - conv: {name: conv, out: dim, kernel: 3}
              - act: act
            shortcut: identity-if-match
        stages:
          - {block: b, depth: 2, dim: 4}
        head:
          - pool: global-avg

        """

    func testActivationKindFromAStrParameterIsALocatedError() throws {
        XCTAssertEqual(try emitError(Self.base), "bad.yaml:8:14: error: cannot write a layer whose 'act' comes from a str parameter in PyTorch")
    }

    func testTensorNamedLikeAModuleAttributeIsALocatedError() throws {
        let spec = Self.base.replacingOccurrences(of: "act: act", with: "relu").replacingOccurrences(of: "name: conv,", with: "name: training,")
        XCTAssertEqual(
            try emitError(spec), "bad.yaml:7:9: error: cannot write the tensor path 'training' in PyTorch: 'training' is an attribute every nn.Module has")
    }

    /// nn.Module's dunders (`__call__` ...), its private state (`_modules` ...) and public names
    /// beyond the common ones (`T_destination`) would break the built module.
    func testTensorNamedLikeModuleInternalsIsALocatedError() throws {
        func spec(_ name: String) -> String {
            Self.base.replacingOccurrences(of: "act: act", with: "relu").replacingOccurrences(of: "name: conv,", with: "name: '\(name)',")
        }
        for name in ["__call__", "__init__", "__dict__", "__x"] {
            XCTAssertEqual(
                try emitError(spec(name)),
                "bad.yaml:7:9: error: cannot write the tensor path '\(name)' in PyTorch: names starting with '__' are Python's and nn.Module's own")
        }
        for name in ["_modules", "_parameters", "_buffers", "_version", "T_destination", "register_forward_hook", "to_empty"] {
            XCTAssertEqual(
                try emitError(spec(name)),
                "bad.yaml:7:9: error: cannot write the tensor path '\(name)' in PyTorch: '\(name)' is an attribute every nn.Module has")
        }
    }

    func testLayerAndContainerAtOnePathIsALocatedError() throws {
        let spec =
            Self.base.replacingOccurrences(of: "act: act", with: "relu")
            + "  - linear: {name: stages, out: 3}\n"
        XCTAssertEqual(try emitError(spec), "bad.yaml:14:5: error: cannot write the tensor path 'stages' in PyTorch: it is already used")
    }
}
