import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// End to end, the second hostile-input review of the driver: specs and options that
/// compiled and then trapped, and outputs that replaced the command's own inputs.
extension CLITests {
    private func scratchFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("archc-cli-driver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private static let croppedSpec = """
        model: t
        input: {channels: 3, size: 16}
        preprocess: {resize: 20, crop: 18}
        blocks:
          b:
            params: {dim: int}
            out: dim
            body:
              - conv: {name: c, out: dim, kernel: 3}
        stem:
          - conv: {name: c1, out: 8, kernel: 3, stride: 1}
        stages:
          - {block: b, depth: 1, dim: 8}
        head:
          - pool: global-avg
          - linear: {name: fc, out: 5}

        """

    /// A declared crop other than the input size (or `--set input.size=192` on a spec
    /// cropping 224) trapped in run and calibrate, and eval's error did not name the spec:
    /// each is now an error at the spec's `crop`.
    func testPreprocessCropOtherThanTheInputSizeIsALocatedError() throws {
        let dir = try scratchFolder()
        let spec = dir.appendingPathComponent("crop18.yaml").path
        try Self.croppedSpec.write(toFile: spec, atomically: true, encoding: .utf8)
        let data = dir.appendingPathComponent("data/0")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "specs/images/chelsea.png", toPath: data.appendingPathComponent("photo.png").path)
        let expected =
            "\(spec):3:32: error: preprocess crop 18 differs from the input size 16, so photos cannot be prepared for this model; "
            + "make them equal (--set preprocess.crop=16, or --set input.size=18)\n"
        for arguments in [
            ["run", spec, "--input", "specs/images/chelsea.png"],
            ["calibrate", spec, "--images", data.path, "-o", dir.appendingPathComponent("c.json").path],
            ["eval", spec, "--data", dir.appendingPathComponent("data").path],
        ] {
            let run = try archc(arguments)
            XCTAssertEqual(run.status, 1, "\(arguments)")
            XCTAssertEqual(run.stderr, expected, "\(arguments)")
        }
        XCTAssertEqual(try archc("run", spec, "--set", "preprocess.crop=16", "--input", "specs/images/chelsea.png").status, 0)
        let lite = try archc("run", "specs/efficientnet-lite0.yaml", "--set", "input.size=32", "--input", "specs/images/chelsea.png")
        XCTAssertEqual(lite.status, 1)
        XCTAssertTrue(lite.stderr.hasPrefix("specs/efficientnet-lite0.yaml:28:"), lite.stderr)
    }

    /// Runs `script` under /bin/sh in the repository's root, with `$ARCHC` the binary `archc` runs.
    private func shell(_ script: String) throws -> Run {
        let environment = ProcessInfo.processInfo.environment.merging(["ARCHC": toolURL("archc").path]) { $1 }
        return try execute(URL(fileURLWithPath: "/bin/sh"), ["-c", script], environment: environment)
    }

    /// 1.2 GB of weights under a 1.5 GB address-space limit: run, --emit onnx and --emit
    /// weights aborted ("Fatal error: failed to allocate") once the first copy was made; now a
    /// refusal naming the bytes needed, before any weight exists.
    func testWeightsOverTheAvailableMemoryAreAnError() throws {
        let spec = try scratchFolder().appendingPathComponent("huge.yaml").path
        let huge = Self.croppedSpec.replacingOccurrences(of: "preprocess: {resize: 20, crop: 18}\n", with: "")
            .replacingOccurrences(of: "  - linear: {name: fc, out: 5}", with: "  - linear: {name: fc1, out: 1024}\n  - linear: {name: fc, out: 300000}")
        try huge.write(toFile: spec, atomically: true, encoding: .utf8)
        let limit = "ulimit -v 1500000 && exec \"$ARCHC\""
        let small = try shell("\(limit) run specs/tiny/tiny-resnet.yaml --top 1")
        XCTAssertEqual(small.status, 0, "a small model runs under the limit: \(small.stderr)")
        let weights = 4 * (8 * 3 * 3 * 3 + 8 + 8 * 8 * 3 * 3 + 8 + 8 * 1024 + 1024 + 1024 * 300_000 + 300_000)
        let largest = 4 * 1024 * 300_000
        for (command, needed) in [
            ("run \(spec)", "\(weights + largest) bytes at once (the largest tensor twice)"),
            ("compile \(spec) --emit weights -o \(spec).st", "\(2 * weights + largest) bytes at once (the largest tensor twice, 1 more whole copy)"),
            ("compile \(spec) --emit onnx -o \(spec).onnx", "\(4 * weights + largest) bytes at once (the largest tensor twice, 3 more whole copies)"),
        ] {
            let run = try shell("\(limit) \(command)")
            XCTAssertEqual(run.status, 1, command)
            XCTAssertEqual(run.stderr, "\(spec): error: the weights (\(weights) bytes) need \(needed), which cannot be allocated: out of memory\n", command)
            XCTAssertFalse(FileManager.default.fileExists(atPath: spec + ".st") || FileManager.default.fileExists(atPath: spec + ".onnx"))
        }
    }

    /// -o, --output, --save-inputs and --plot naming one of the command's inputs (the spec,
    /// the weights, an --input, a photo in an --images folder, an eval part) replaced it, exit
    /// 0; now a usage error that leaves the input as it was.
    func testOutputsThatAreTheCommandsOwnInputsAreRefused() throws {
        let dir = try scratchFolder()
        let path = { (name: String) in dir.appendingPathComponent(name).path }
        try Self.croppedSpec.replacingOccurrences(of: "crop: 18", with: "crop: 16").write(toFile: path("s.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: path("imgs"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "specs/images/chelsea.png", toPath: path("imgs/photo.png"))
        XCTAssertEqual(try archc("run", path("s.yaml"), "--output", path("x.npy")).status, 0)
        XCTAssertEqual(try archc("compile", path("s.yaml"), "--emit", "weights", "-o", path("w.safetensors")).status, 0)
        try FileManager.default.createSymbolicLink(atPath: path("link.yaml"), withDestinationPath: "s.yaml")
        let cases: [(arguments: [String], output: String, option: String, input: String)] = [
            (["compile", path("s.yaml"), "--emit", "onnx", "-o", path("s.yaml")], path("s.yaml"), "-o", path("s.yaml")),
            (["compile", path("s.yaml"), "--emit", "ir", "-o", path("link.yaml")], path("link.yaml"), "-o", path("s.yaml")),
            (
                ["compile", path("s.yaml"), "--emit", "onnx", "--weights", path("w.safetensors"), "-o", path("w.safetensors")],
                path("w.safetensors"), "-o", path("w.safetensors")
            ),
            (["run", path("s.yaml"), "--input", path("x.npy"), "--output", path("x.npy")], path("x.npy"), "--output", path("x.npy")),
            (["calibrate", path("s.yaml"), "--images", path("imgs"), "-o", path("imgs/photo.png")], path("imgs/photo.png"), "-o", path("imgs/photo.png")),
            (
                ["calibrate", path("s.yaml"), "--images", path("imgs"), "-o", path("c.json"), "--save-inputs", path("s.yaml")],
                path("s.yaml"), "--save-inputs", path("s.yaml")
            ),
            (["eval", "merge", path("x.npy"), "-o", path("x.npy")], path("x.npy"), "-o", path("x.npy")),
        ]
        let before = try cases.map { try Data(contentsOf: URL(fileURLWithPath: $0.input)) }
        for (index, item) in cases.enumerated() {
            let run = try archc(item.arguments)
            XCTAssertEqual(run.status, 64, "\(item.arguments)")
            XCTAssertTrue(
                run.stderr.hasPrefix("Error: \(item.option) \(item.output) is the command's own input \(item.input): writing it would replace that file\n"),
                run.stderr)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: item.input)), before[index], "\(item.arguments)")
        }
        XCTAssertEqual(try archc("calibrate", path("s.yaml"), "--images", path("imgs"), "-o", path("imgs/c.json")).status, 0)
    }

    /// Standard output that cannot be written (a full disk) was ignored, exit 0; fit printed
    /// its error on standard output.
    func testStandardOutputWriteErrorsFailTheCommand() throws {
        guard FileManager.default.isWritableFile(atPath: "/dev/full") else { throw XCTSkip("no /dev/full here") }
        for command in ["compile specs/tiny/tiny-resnet.yaml --emit ir", "compile specs/tiny/tiny-resnet.yaml --report json"] {
            let run = try shell("exec \"$ARCHC\" \(command) > /dev/full")
            XCTAssertEqual(run.status, 1, command)
            XCTAssertTrue(run.stderr.hasPrefix("standard output: error: cannot write: "), run.stderr)
        }
        let spec = try scratchFolder().appendingPathComponent("s.yaml").path
        try Self.croppedSpec.write(toFile: spec, atomically: true, encoding: .utf8)
        let fit = try archc("fit", spec)
        XCTAssertEqual(fit.status, 1)
        XCTAssertEqual(fit.stdout, "")
        XCTAssertEqual(fit.stderr, "archc fit: the spec has no 'budget' to fit\n")
    }

    /// SIGINT while a large -o is written left the hidden temporary file (hundreds of MB)
    /// in the output's folder; the handler removes it and the process still dies of SIGINT.
    func testInterruptDuringAWriteRemovesTheTemporaryFile() throws {
        let dir = try scratchFolder()
        let process = Process()
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("archc")
        process.executableURL = FileManager.default.fileExists(atPath: binary.path) ? binary : Self.root.appendingPathComponent(".build/debug/archc")
        process.arguments = ["compile", "specs/resnet50.yaml", "--emit", "onnx", "-o", dir.appendingPathComponent("big.onnx").path]
        process.currentDirectoryURL = Self.root
        process.standardError = FileHandle.nullDevice
        try process.run()
        var temporary: String?
        let deadline = Date().addingTimeInterval(120)
        while temporary == nil, process.isRunning, Date() < deadline {
            temporary = try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasPrefix(".big.onnx.") }
            if temporary == nil { usleep(2000) }
        }
        let seen = try XCTUnwrap(temporary, "the temporary file was never seen")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        XCTAssertEqual(process.terminationStatus, SIGINT)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "\(seen) left behind")
    }

    /// `--corrupt fog,fog` and `--severity 5,5` evaluated and counted the duplicates
    /// ("corrupted 24 of 24 images" from 8 photos); now a usage error.
    func testRepeatedCorruptionsAndSeveritiesAreRefused() throws {
        for (arguments, message) in [
            (["--corrupt", "fog,brightness,fog", "--severity", "5"], "Error: --corrupt names fog twice; give each corruption once\n"),
            (["--corrupt", "fog", "--severity", "5,3,5"], "Error: --severity names 5 twice; give each level once\n"),
        ] {
            let run = try archc(["eval", "specs/tiny/tiny-resnet.yaml", "--data", "specs/images"] + arguments)
            XCTAssertEqual(run.status, 64, "\(arguments)")
            XCTAssertTrue(run.stderr.hasPrefix(message), run.stderr)
        }
    }

    /// A calibration file recorded only the model's name: `run --precision int8` accepted one
    /// made without the run's `--set` (another preprocessing, error 0.95 of the largest logit)
    /// or with other weights. It now records both and a run whose own differ is refused.
    func testCalibrationOfAnotherRunIsRefused() throws {
        let dir = try scratchFolder()
        let path = { (name: String) in dir.appendingPathComponent(name).path }
        try Self.croppedSpec.replacingOccurrences(of: "crop: 18", with: "crop: 16").write(toFile: path("s.yaml"), atomically: true, encoding: .utf8)
        let calibrate = try archc("calibrate", path("s.yaml"), "--images", "specs/images/chelsea.png", "-o", path("c.json"))
        XCTAssertEqual(calibrate.status, 0, calibrate.stderr)
        let run = ["run", path("s.yaml"), "--input", "specs/images/chelsea.png", "--precision", "int8", "--calibration", path("c.json")]
        XCTAssertEqual(try archc(run).status, 0)
        let std = try archc(run + ["--set", "preprocess.std=[0.01, 0.01, 0.01]"])
        XCTAssertEqual(std.status, 1)
        XCTAssertEqual(
            std.stderr,
            "\(path("c.json")):5:3: error: calibrated with no --set, this run has --set preprocess.std=[0.01, 0.01, 0.01]; "
                + "run archc calibrate with this run's options\n")
        let seed = try archc(run + ["--seed", "3"])
        XCTAssertEqual(seed.status, 1)
        XCTAssertEqual(
            seed.stderr,
            "\(path("c.json")):6:3: error: calibrated with weights seeded (seed 0, init pytorch), this run has seeded (seed 3, init pytorch); "
                + "run archc calibrate with this run's weights\n")
        // The same spec named another way, or with a comment line added, is the same graph
        // (the hash covered the IR's source locations: "./s.yaml" was "another graph").
        let spec = try String(contentsOfFile: path("s.yaml"), encoding: .utf8)
        let renamed = try archc(["run", dir.path + "/./s.yaml"] + run.dropFirst(2))
        XCTAssertEqual(renamed.status, 0, renamed.stderr)
        try ("# a comment line moves every location\n" + spec).write(toFile: path("s.yaml"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try archc(run).status, 0)
        // The spec edited after calibrating (the stem's kernel): the same value names, so the
        // old ranges were applied to the new graph.
        try spec.replacingOccurrences(of: "{name: c1, out: 8, kernel: 3", with: "{name: c1, out: 8, kernel: 5").write(
            toFile: path("s.yaml"), atomically: true, encoding: .utf8)
        let edited = try archc(run)
        XCTAssertEqual(edited.status, 1)
        XCTAssertTrue(edited.stderr.hasPrefix("\(path("c.json")):4:3: error: calibrated on another graph (hash "), edited.stderr)
        XCTAssertTrue(edited.stderr.hasSuffix("the spec changed since; run archc calibrate again\n"), edited.stderr)
    }

    /// `eval merge` merged parts made with other weights or another `--set` (a part recorded
    /// only the model and data): each part now records both, and parts that differ are refused.
    func testEvalMergeRefusesPartsOfDifferentRuns() throws {
        let dir = try scratchFolder()
        let path = { (name: String) in dir.appendingPathComponent(name).path }
        try Self.croppedSpec.replacingOccurrences(of: "crop: 18", with: "crop: 16").write(toFile: path("s.yaml"), atomically: true, encoding: .utf8)
        for (index, photo) in ["chelsea", "coffee"].enumerated() {
            try FileManager.default.createDirectory(atPath: path("data/\(index)"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "specs/images/\(photo).png", toPath: path("data/\(index)/\(photo).png"))
        }
        let part = { (shard: String, extra: [String], file: String) throws in
            let run = try self.archc(["eval", path("s.yaml"), "--data", path("data"), "--shard", shard, "--report", "json", "-o", path(file)] + extra)
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        try part("0/2", [], "p0.json")
        try part("1/2", [], "p1.json")
        try part("1/2", ["--set", "preprocess.resize=64"], "p1-set.json")
        XCTAssertEqual(try archc("eval", "merge", path("p0.json"), path("p1.json")).status, 0)
        let mixed = try archc("eval", "merge", path("p0.json"), path("p1-set.json"))
        XCTAssertEqual(mixed.status, 1)
        XCTAssertEqual(
            mixed.stderr,
            "\(path("p1-set.json")): error: partial result of a different run than \(path("p0.json")): made with --set preprocess.resize=64; "
                + "weights seeded (seed 0, init pytorch), \(path("p0.json")) with no --set; weights seeded (seed 0, init pytorch)\n")
    }
}
