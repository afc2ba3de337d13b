import Foundation
import XCTest

/// End to end: the built `archc` binary, its help, exit codes and report formats.
final class CLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the `archc` built beside this test bundle, from the repo root.
    func archc(_ arguments: String...) throws -> Run { try tool("archc", arguments) }

    func archc(_ arguments: [String]) throws -> Run { try tool("archc", arguments) }

    /// Runs `archc-generated` (archc's generated/ models) the same way.
    func archcGenerated(_ arguments: String...) throws -> Run { try tool("archc-generated", arguments) }

    func tool(_ name: String, _ arguments: [String]) throws -> Run {
        try execute(toolURL(name), arguments)
    }

    /// The tool built beside this test bundle, else the debug build's.
    func toolURL(_ name: String) -> URL {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
        return FileManager.default.fileExists(atPath: binary.path) ? binary : Self.root.appendingPathComponent(".build/debug/\(name)")
    }

    /// Runs `executable` from the repo root, capturing its status and both streams.
    func execute(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws -> Run {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.currentDirectoryURL = Self.root
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// The benchmark names the kernel set it ran: the 512-bit kernels on a CPU with AVX-512F
    /// (its flags in /proc/cpuinfo), the AVX2 ones elsewhere or when ARCHC_ISA=avx2 asks (in any
    /// case, spaces aside; another value changes nothing).
    func testBenchNamesTheKernelSet() throws {
        let arguments = ["run", "specs/tiny/tiny-resnet.yaml", "--bench", "--iterations", "1", "--report", "json"]
        let kernels = { (run: Run) -> String? in
            let object = try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            return object?["kernels"] as? String
        }
        var environment = ProcessInfo.processInfo.environment
        environment["ARCHC_ISA"] = nil
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let wide = cpu.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").contains("avx512f") ?? false
        let auto = try execute(toolURL("archc"), arguments, environment: environment)
        XCTAssertEqual(auto.status, 0, auto.stderr)
        XCTAssertEqual(kernels(auto), wide ? "avx512" : "avx2", auto.stdout)
        for value in ["avx2", " AVX2 "] {
            environment["ARCHC_ISA"] = value
            let avx2 = try execute(toolURL("archc"), arguments, environment: environment)
            XCTAssertEqual(avx2.status, 0, avx2.stderr)
            XCTAssertEqual(kernels(avx2), "avx2", "ARCHC_ISA=\(value): \(avx2.stdout)")
        }
        environment["ARCHC_ISA"] = "bogus"
        let other = try execute(toolURL("archc"), arguments, environment: environment)
        XCTAssertEqual(kernels(other), wide ? "avx512" : "avx2", other.stdout)
    }

    /// `archc help bogus` printed the top-level help and exited 0, where `archc bogus` is a
    /// usage error (64); `archc help eval merge` still works.
    func testHelpForAnUnknownSubcommandIsAnError() throws {
        for arguments in [["help", "bogus"], ["help", "eval", "bogus"]] {
            let bad = try archc(arguments)
            XCTAssertEqual(bad.status, 64, arguments.joined(separator: " "))
            XCTAssertTrue(bad.stderr.hasPrefix("Error: no subcommand 'bogus'"), bad.stderr)
            XCTAssertEqual(bad.stdout, "")
        }
        let merge = try archc("help", "eval", "merge")
        XCTAssertEqual(merge.status, 0)
        XCTAssertTrue(merge.stdout.contains("USAGE: archc eval merge"), merge.stdout)
    }

    /// A negative number after a numeric option was taken for an option: "Missing value for
    /// '--batch <batch>'". It is read as the value and refused by the option's own check.
    func testNegativeNumbersReachTheOptionsCheck() throws {
        let spec = "specs/tiny/tiny-resnet.yaml"
        let cases: [([String], String)] = [
            (["run", spec, "--batch", "-1"], "Error: --batch must be between 1 and 65536, found -1"),
            (["run", spec, "--top", "-3"], "Error: --top must be at least 1, found -3"),
            (["run", spec, "--threads", "-2"], "Error: --threads must be between 1 and 256, found -2"),
            (["run", spec, "--seed", "-1"], "Error: The value '-1' is invalid for '--seed <seed>'"),
        ]
        for (arguments, message) in cases {
            let run = try archc(arguments)
            XCTAssertEqual(run.status, 64, arguments.joined(separator: " "))
            XCTAssertTrue(run.stderr.hasPrefix(message), run.stderr)
        }
    }

    func testHelpDocumentsEveryFlag() throws {
        let top = try archc("--help")
        XCTAssertEqual(top.status, 0)
        for word in ["compile", "fit", "Exit status"] { XCTAssertTrue(top.stdout.contains(word), word) }
        let compile = try archc("compile", "--help")
        for flag in [
            "--set <key=value>", "--report <report>", "--count <count>", "--batch <batch>", "--max-memory <size>", "--no-color", "<spec>",
            "--emit <emit>", "--disable-pass <name>", "--print-after-all", "--pass-summary",
        ] {
            XCTAssertTrue(compile.stdout.contains(flag), "compile --help lacks \(flag)")
        }
        let fit = try archc("fit", "--help")
        XCTAssertTrue(fit.stdout.contains("--set <key=value>"))
        XCTAssertTrue(fit.stdout.contains("--width"))
        let run = try archc("run", "--help")
        for flag in [
            "--weights <file>", "--strip-prefix <prefix>", "--strict", "--input <file>", "--top <top>", "--output <file.npy>",
            "--threads <threads>", "--seed <seed>", "--check", "--bench", "--iterations <iterations>",
            "--profile", "--report <report>", "--batch <batch>", "--conv3x3 <conv3x3>",
        ] {
            XCTAssertTrue(run.stdout.contains(flag), "run --help lacks \(flag)")
        }
    }

    func testSummaryOfANamedSpec() throws {
        let run = try archc("compile", "specs/robust-resnet-dw-small.yaml")
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("params    38,590,312  (38.59 M)"), run.stdout)
        XCTAssertTrue(run.stdout.contains("MACs      4,477,799,040  (4.48 G, fvcore convention)"), run.stdout)
        XCTAssertTrue(run.stdout.contains("budget    deit-small (4.61 G) ± 5.0%: within (-2.8%)"), run.stdout)
        XCTAssertEqual(run.stderr, "")
    }

    func testJSONReportShape() throws {
        let run = try archc("compile", "specs/resnet50.yaml", "--report", "json")
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["name"] as? String, "resnet50")
        XCTAssertEqual(object["params"] as? Int, 25_557_032)
        XCTAssertEqual(object["macs"] as? Int, 4_111_512_576)
        XCTAssertEqual(object["output_shape"] as? [Int], [1000])
        let layers = try XCTUnwrap(object["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.count, 174)
        XCTAssertEqual(layers.first?["name"] as? String, "conv1")
        XCTAssertEqual(layers.first?["output_shape"] as? [Int], [64, 112, 112])
        XCTAssertEqual(layers.reduce(0) { $0 + ($1["macs"] as? Int ?? 0) }, 4_111_512_576)
    }

    func testTableHasStageSubtotals() throws {
        let run = try archc("compile", "specs/tiny/tiny-robust-dw.yaml", "--report", "table")
        XCTAssertEqual(run.status, 0, run.stderr)
        for line in ["= stem", "= stage 0", "= stage 1", "= head", "= total"] { XCTAssertTrue(run.stdout.contains(line), line) }
        XCTAssertTrue(run.stdout.contains("stages.1.blocks.0.conv_dw       dwconv 5x5/2     [16, 4, 4]     416    6,400"), run.stdout)
        let flops = try archc("compile", "specs/tiny/tiny-robust-dw.yaml", "--report", "table", "--count", "flops")
        XCTAssertTrue(flops.stdout.contains("FLOPs"))
    }

    func testErrorsAreLocatedAndExitOne() throws {
        let run = try archc("compile", "Tests/ArchcSpecTests/Fixtures/invalid/unknown-block.yaml")
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stdout, "")
        XCTAssertEqual(
            run.stderr, "Tests/ArchcSpecTests/Fixtures/invalid/unknown-block.yaml:6:13: error: unknown block 'dww'; did you mean 'dw'?\n1 error generated\n")
        let missing = try archc("compile", "no/such.yaml")
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "no/such.yaml:1:1: error: no such file\n1 error generated\n")
        let directory = try archc("compile", "specs")
        XCTAssertEqual(directory.status, 1)
        XCTAssertTrue(directory.stderr.hasPrefix("specs:1:1: error: is a directory"), directory.stderr)
    }

    /// `--profile` and `--iterations` only mean something to `--bench`; without it the run
    /// printed the model's top-5 and exit 0, and the user never learned their timing was not taken.
    func testBenchOptionsWithoutBenchAreRefused() throws {
        let spec = "specs/tiny/tiny-resnet.yaml"
        for (tool, arguments, option) in [
            ("archc", ["run", spec, "--profile"], "--profile"), ("archc", ["run", spec, "--iterations", "5"], "--iterations"),
            ("archc-generated", [spec, "--iterations", "5"], "--iterations"),
        ] {
            let run = try self.tool(tool, arguments)
            XCTAssertEqual(run.status, 64, "\(tool) \(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("\(option) times the model and needs --bench"), run.stderr)
        }
        // Two modes at once ran one and dropped the other (or wrote no --output) with exit 0.
        for (tool, arguments, message) in [
            ("archc", ["run", spec, "--bench", "--output", "y.npy"], "--output writes the model's output, which --bench does not produce"),
            ("archc", ["run", spec, "--check", "--output", "y.npy"], "--output writes the model's output, which --check does not produce"),
            ("archc", ["run", spec, "--check", "--bench"], "--check and --bench are separate runs; give one"),
            ("archc-generated", [spec, "--check", "--bench"], "--check and --bench are separate runs; give one"),
            ("archc", ["run", spec, "--check", "--report", "json"], "--check prints a text report only; drop --report json"),
            ("archc-generated", [spec, "--check", "--report", "json"], "--check prints a text report only; drop --report json"),
        ] {
            let run = try self.tool(tool, arguments)
            XCTAssertEqual(run.status, 64, "\(tool) \(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(message), run.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "y.npy"))
        let timed = try archc("run", spec, "--bench", "--iterations", "2", "--report", "json")
        XCTAssertEqual(timed.status, 0, timed.stderr)
        XCTAssertTrue(timed.stdout.contains("\"iterations\" : 2"), timed.stdout)
    }

    func testMalformedCommandLinesExit64WithUsage() throws {
        for arguments in [
            ["compile", "specs/resnet50.yaml", "--report", "xml"], ["compile"], ["compile", "specs/resnet50.yaml", "--batch", "0"],
            ["compile", "specs/resnet50.yaml", "--max-memory", "lots"], ["frobnicate"],
        ] {
            let run = try archc(
                arguments[0], arguments.count > 1 ? arguments[1] : "--definitely-not-a-flag", arguments.count > 2 ? arguments[2] : "",
                arguments.count > 3 ? arguments[3] : "")
            XCTAssertEqual(run.status, 64, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("Usage:") || run.stderr.contains("Help:"), run.stderr)
        }
    }

    func testOverridesAndBudgetFailureAndFit() throws {
        let missed = try archc("compile", "specs/robust-resnet-inverted-dw-small.yaml", "--set", "stages[2].depth=6")
        XCTAssertEqual(missed.status, 1)
        XCTAssertTrue(missed.stderr.hasPrefix("specs/robust-resnet-inverted-dw-small.yaml:7:9: error: MACs 2.61 G are below the budget"), missed.stderr)
        let fit = try archc("fit", "specs/robust-resnet-inverted-dw-small.yaml", "--set", "stages[2].depth=6")
        XCTAssertEqual(fit.status, 0, fit.stderr)
        XCTAssertEqual(
            fit.stdout, "depths 3, 4, 6, 3 -> 3, 4, 14, 3: MACs 4.58 G, deit-small (4.61 G) ± 5.0%: within (-0.7%)\napply with: --set stages[2].depth=14\n")
        let already = try archc("fit", "specs/robust-resnet-inverted-dw-small.yaml")
        XCTAssertEqual(already.stdout, "depths 3, 4, 14, 3 already fit: deit-small (4.61 G) ± 5.0%: within (-0.7%)\n")
    }

    /// A CNN fitted to DeiT-S by depth, by one stage's width, and by every stage's width together.
    func testFitByWidthAgainstATransformer() throws {
        let fit = try archc("fit", "specs/robust-resnet-dw-small.yaml", "--set", "stages[2].depth=6", "--width")
        XCTAssertEqual(fit.status, 0, fit.stderr)
        XCTAssertEqual(
            fit.stdout,
            """
            depths 3, 4, 6, 3 -> 3, 4, 12, 3: MACs 4.48 G, deit-small (4.61 G) ± 5.0%: within (-2.8%)
            apply with: --set stages[2].depth=12
            or by width, one stage at a time (smallest change first):
              stage 2 dim 384 -> 520 (+35.4%): MACs 4.38 G, deit-small (4.61 G) ± 5.0%: within (-4.9%)  --set stages[2].dim=520
            or every stage's width together (x1.25): 96, 192, 384, 768 -> 120, 240, 480, 960: MACs 4.70 G, deit-small (4.61 G) ± 5.0%: within (+2.0%)
            apply with: --set stages[0].dim=120 --set stages[1].dim=240 --set stages[2].dim=480 --set stages[3].dim=960

            """)
    }

    func testEmitIRShowsTheOptimizedGraphAndParsesBack() throws {
        let run = try archc("compile", "specs/robust-resnet-inverted-dw-small.yaml", "--emit", "ir")
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("graph @\"robust-resnet-inverted-dw-small\"(%0: [N, 3, 224, 224]) -> %"), run.stdout)
        let ops = run.stdout.split(separator: "\n").filter { $0.hasPrefix("  %") }.map { $0.split(separator: " ")[2].split(separator: "(")[0] }
        XCTAssertEqual(Set(ops), ["conv2d", "global_avgpool", "linear"])
        XCTAssertTrue(run.stdout.contains("act = relu} : [N, 384, 14, 14]"))
        XCTAssertTrue(run.stdout.contains("residual = true} : [N, 96, 14, 14]"))

        let unoptimized = try archc("compile", "specs/tiny/tiny-resnet.yaml", "--emit", "ir", "--disable-pass", "all")
        XCTAssertTrue(unoptimized.stdout.contains("= batchnorm(%"), unoptimized.stdout)
        let partial = try archc("compile", "specs/tiny/tiny-resnet.yaml", "--emit", "ir", "--disable-pass", "fuse-residual")
        XCTAssertTrue(partial.stdout.contains("= add(%"))
        XCTAssertFalse(partial.stdout.contains("= batchnorm(%"))
    }

    func testPrintAfterAllAndPassSummary() throws {
        let run = try archc("compile", "specs/tiny/tiny-robust-dw.yaml", "--emit", "ir", "--print-after-all", "--pass-summary")
        XCTAssertEqual(run.status, 0, run.stderr)
        let headers = run.stdout.split(separator: "\n").filter { $0.hasPrefix("// ----- IR after ") }
        XCTAssertEqual(
            headers.map { String($0.dropFirst(18).dropLast(6)) },
            [
                "fold-batchnorm", "fold-batchnorm-into-next", "fold-layer-scale", "fold-layernorm-affine", "fold-constants", "fuse-activation",
                "fuse-residual", "remove-dead-nodes",
            ])
        XCTAssertTrue(
            run.stdout.contains("fold-layer-scale                 3      12       1          0            0          0              0     3      0     0    3"),
            run.stdout)
        let bad = try archc("compile", "specs/tiny/tiny-robust-dw.yaml", "--emit", "ir", "--disable-pass", "fold-everything")
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("unknown pass 'fold-everything'"), bad.stderr)
        let orphan = try archc("compile", "specs/tiny/tiny-robust-dw.yaml", "--pass-summary")
        XCTAssertEqual(orphan.status, 64)
    }

    func testEmitPyTorchWritesTheFileAndRefusesWeights() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("archc-cli-pytorch-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("tiny.py").path
        let run = try archc("compile", "specs/tiny/tiny-resnet.yaml", "--set", "stages[1].depth=3", "--emit", "pytorch", "-o", path)
        XCTAssertEqual(run.status, 0, run.stderr)
        let source = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(source.hasPrefix("# tiny-resnet: the PyTorch model of specs/tiny/tiny-resnet.yaml, written by archc."), source)
        XCTAssertTrue(source.contains("#   archc compile specs/tiny/tiny-resnet.yaml --set stages[1].depth=3 --emit pytorch -o tiny.py\n"), source)
        XCTAssertTrue(source.contains("class TinyResnet(nn.Module):"), source)
        XCTAssertEqual(try archc("compile", "specs/tiny/tiny-resnet.yaml", "--emit", "pytorch").status, 64)
        XCTAssertEqual(try archc("compile", "specs/tiny/tiny-resnet.yaml", "--emit", "pytorch", "-o", path, "--weights", "w.pth").status, 64)
        let help = try archc("compile", "--help")
        XCTAssertTrue(help.stdout.contains("weights, pytorch)"), help.stdout)
    }

    func testRunWritesOutputAndBenchReportsJSON() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("archc-cli-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let out = dir.appendingPathComponent("y.npy").path
        let run = try archc("run", "specs/tiny/tiny-robust-dw.yaml", "--batch", "2", "--output", out)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("output [2, 10]\n  image 0: top-5 "), run.stdout)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: out))
        XCTAssertEqual(bytes.count, 128 + 2 * 10 * 4)
        let again = try archc("run", "specs/tiny/tiny-robust-dw.yaml", "--batch", "2", "--threads", "1")
        XCTAssertEqual(again.stdout, run.stdout, "seeded runs are deterministic whatever the thread count")

        let bench = try archc("run", "specs/tiny/tiny-robust-dw.yaml", "--bench", "--iterations", "3", "--report", "json")
        XCTAssertEqual(bench.status, 0, bench.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bench.stdout.utf8)) as? [String: Any])
        for key in ["median_ms", "p90_ms", "images_per_s", "peak_bytes"] { XCTAssertNotNil(object[key], key) }
        XCTAssertEqual(object["iterations"] as? Int, 3)
        // The fastest run (bench.sh's ratios use it) is at most the median, which is at most the p90.
        let fastest = try XCTUnwrap(object["min_ms"] as? Double), median = try XCTUnwrap(object["median_ms"] as? Double)
        XCTAssertGreaterThan(fastest, 0)
        XCTAssertLessThanOrEqual(fastest, median)
        XCTAssertLessThanOrEqual(median, try XCTUnwrap(object["p90_ms"] as? Double))

        // With --profile the JSON stays one object, the profile inside it: a row per layer
        // kind and one per step, whose times add up to the kinds' times.
        let profiled = try archc("run", "specs/tiny/tiny-robust-dw.yaml", "--bench", "--profile", "--iterations", "2", "--report", "json")
        XCTAssertEqual(profiled.status, 0, profiled.stderr)
        let whole = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(profiled.stdout.utf8)) as? [String: Any], profiled.stdout)
        let profile = try XCTUnwrap(whole["profile"] as? [String: Any])
        let kinds = try XCTUnwrap(profile["kinds"] as? [[String: Any]]), layers = try XCTUnwrap(profile["layers"] as? [[String: Any]])
        XCTAssertTrue(Set(kinds.compactMap { $0["kind"] as? String }).isSuperset(of: ["stem", "pointwise", "depthwise", "head"]), "\(kinds)")
        XCTAssertTrue(layers.contains { $0["name"] as? String == "stem" && $0["kind"] as? String == "stem" }, "\(layers)")
        let layerMs = layers.reduce(0.0) { $0 + ($1["ms"] as? Double ?? .nan) }, kindMs = kinds.reduce(0.0) { $0 + ($1["ms"] as? Double ?? .nan) }
        XCTAssertEqual(layerMs, kindMs, accuracy: 1e-9 + 1e-9 * kindMs)
        XCTAssertGreaterThan(profile["fma_peak_gflops_per_s"] as? Double ?? 0, 1)
    }

    func testRunRejectsBadInputsClearly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("archc-cli-bad-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let junk = dir.appendingPathComponent("junk.npy").path
        try Data("not numpy".utf8).write(to: URL(fileURLWithPath: junk))
        let bad = try archc("run", "specs/tiny/tiny-robust-dw.yaml", "--input", junk)
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "\(junk): error: not a .npy file (bad magic at byte 0)\n")
        let weights = try archc("run", "specs/tiny/tiny-robust-dw.yaml", "--weights", junk)
        XCTAssertEqual(weights.status, 1)
        XCTAssertTrue(weights.stderr.hasPrefix("\(junk): error: not a checkpoint: neither safetensors"), weights.stderr)
        let missing = try archc("run", "specs/tiny/tiny-robust-dw.yaml", "--weights", dir.appendingPathComponent("none").path)
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "\(dir.appendingPathComponent("none").path): error: no such file\n")
        let noDir = try archc("run", "specs/tiny/tiny-robust-dw.yaml", "--output", "/nonexistent/dir/y.npy")
        XCTAssertEqual(noDir.status, 1)
        XCTAssertTrue(noDir.stderr.hasPrefix("/nonexistent/dir/y.npy: error: cannot write"), noDir.stderr)
    }

    /// Seeded weights are drawn as PyTorch initialises an untrained model, so a seeded run of
    /// a full-size model prints logits of an untrained model's size (they were ~6e7).
    func testSeededRunPrintsUntrainedSizedLogits() throws {
        let text = try archc("run", "specs/robust-resnet-dw-small.yaml", "--top", "1000")
        XCTAssertEqual(text.status, 0, text.stderr)
        let values = text.stdout.split(separator: "(").dropFirst().compactMap { Double($0.prefix { $0 != ")" }) }
        XCTAssertEqual(values.count, 1000, text.stdout)
        XCTAssertLessThan(values.map(abs).max() ?? .infinity, 1, text.stdout)
        XCTAssertGreaterThan(values.map(abs).max() ?? 0, 1e-3, "logits should not all vanish")
    }

    func testRunCheckComparesRuntimeAndInterpreterLayerByLayer() throws {
        let run = try archc("run", "specs/tiny/tiny-inverted-family.yaml", "--check", "--batch", "2")
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3, run.stdout)
        XCTAssertTrue(lines[0].hasPrefix("interpreter, unfused vs optimized graph: max relative error "), run.stdout)
        XCTAssertTrue(lines[0].hasSuffix(" ok"), run.stdout)
        XCTAssertTrue(lines[1].hasPrefix("runtime vs interpreter, "), run.stdout)
        XCTAssertEqual(lines[2], "all layers agree within 1e-04")
    }

    /// The README shows what ./demo.sh and `archc compile` print; they must stay what archc prints.
    func testReadmeExamplesAreCurrent() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        func block(after marker: String) throws -> String {
            let start = try XCTUnwrap(readme.range(of: marker + "\n\n```\n"), marker)
            let end = try XCTUnwrap(readme.range(of: "```", range: start.upperBound..<readme.endIndex))
            return String(readme[start.upperBound..<end.lowerBound])
        }
        let compile = try archc("compile", "specs/robust-resnet-dw-small.yaml")
        XCTAssertEqual(try block(after: "on the paper's model prints:"), compile.stdout, "README.md's compile example is stale")
        let weights = Self.root.appendingPathComponent(".cache/efficientnet-lite0.pth").path
        guard FileManager.default.fileExists(atPath: weights) else { throw XCTSkip("run ./fetch-weights.sh for the demo check") }
        let demo = try archc("run", "specs/efficientnet-lite0.yaml", "--weights", weights, "--input", "specs/images/chelsea.png")
        XCTAssertEqual(try block(after: "top-5 classes:"), demo.stdout, "README.md's demo output is stale; run ./demo.sh and paste its output")
        XCTAssertTrue(demo.stdout.contains("282  tiger cat"), demo.stdout)
    }

    func testRunClassifiesPhotosWithJSONPredictions() throws {
        let weights = Self.root.appendingPathComponent(".cache/efficientnet-lite0.pth").path
        guard FileManager.default.fileExists(atPath: weights) else { throw XCTSkip("run ./fetch-weights.sh first") }
        let run = try archc("run", "specs/efficientnet-lite0.yaml", "--weights", weights, "--input", "specs/images", "--report", "json", "--top", "3")
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["inputs"] as? [String], ["specs/images/chelsea.png", "specs/images/coffee.png"])
        let predictions = try XCTUnwrap(object["predictions"] as? [[[String: Any]]])
        XCTAssertEqual(predictions.map(\.count), [3, 3])
        XCTAssertTrue([281, 282, 285].contains(predictions[0][0]["index"] as? Int ?? -1))
        XCTAssertEqual(predictions[1][0]["label"] as? String, "espresso")
        let probability = try XCTUnwrap(predictions[1][0]["probability"] as? Double)
        XCTAssertGreaterThan(probability, 0.5)
        XCTAssertLessThanOrEqual(probability, 1)
    }

    func testGeneratedModelsRunAndRefuseAStaleSpec() throws {
        let runtime = try archc("run", "specs/tiny/tiny-resnet.yaml", "--batch", "2")
        let generated = try archcGenerated("specs/tiny/tiny-resnet.yaml", "--batch", "2")
        XCTAssertEqual(generated.status, 0, generated.stderr)
        XCTAssertEqual(generated.stdout, runtime.stdout)
        let stale = try archcGenerated("specs/tiny/tiny-resnet.yaml", "--set", "stages[1].depth=1")
        XCTAssertEqual(stale.status, 1)
        XCTAssertTrue(stale.stderr.contains("error: the generated model TinyResnet was made from a different graph"), stale.stderr)
        XCTAssertTrue(stale.stderr.hasSuffix("regenerate it with ./generate.sh\n"), stale.stderr)
        let missing = try archcGenerated("specs/tiny/tiny-inverted-family.yaml")
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no generated model for this spec"), missing.stderr)
    }

    func testGeneratedCheckComparesWithTheRuntime() throws {
        let run = try archcGenerated("specs/tiny/tiny-resnet.yaml", "--check")
        XCTAssertEqual(run.status, 0, run.stderr)
        let last = try XCTUnwrap(run.stdout.split(separator: "\n").last)
        XCTAssertTrue(last.hasPrefix("generated model TinyResnet vs runtime: max relative error "), run.stdout)
        XCTAssertTrue(last.hasSuffix(" ok"), run.stdout)
    }
}
