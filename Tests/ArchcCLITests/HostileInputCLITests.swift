import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// End to end: output paths that are devices, inputs that are FIFOs or empty, and a folder
/// of photos larger than one batch.
extension CLITests {
    private func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("archc-cli-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// `-o` on a character device (1:3, as /dev/null; made here, never the real one) leaves it a device.
    func testOutputToADeviceNodeLeavesTheDevice() throws {
        let device = try temporaryFolder().appendingPathComponent("null").path
        // glibc's makedev(1, 3).
        guard mknod(device, S_IFCHR | 0o666, dev_t(0x103)) == 0 else { throw XCTSkip("mknod is not permitted here (errno \(errno))") }
        let run = try archc("compile", "specs/tiny/tiny-resnet.yaml", "--emit", "ir", "-o", device)
        XCTAssertEqual(run.status, 0, run.stderr)
        var info = stat()
        XCTAssertEqual(lstat(device, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR, "still a character device")
    }

    func testWeightsThatAreAFIFOAreRefusedWithoutBlocking() throws {
        let fifo = try temporaryFolder().appendingPathComponent("weights.pth").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let run = try archc("run", "specs/tiny/tiny-resnet.yaml", "--weights", fifo)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr, "\(fifo): error: not a regular file (a FIFO)\n")
    }

    /// A (0, 3, 32, 32) batch: --check divided by zero and --bench reported 0 images/s.
    func testEmptyNPYBatchIsAnError() throws {
        let file = try temporaryFolder().appendingPathComponent("empty.npy")
        let header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3, 32, 32), }\n".utf8)
        try Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.count), 0] + header).write(to: file)
        for mode in ["--check", "--bench"] {
            let run = try archc("run", "specs/tiny/tiny-resnet.yaml", "--input", file.path, mode)
            XCTAssertEqual(run.status, 1, mode)
            XCTAssertEqual(run.stderr, "\(file.path): error: an input batch of shape [0, 3, 32, 32] holds no image; expected (N, C, H, W) with N >= 1\n", mode)
        }
    }

    /// Each activation fits under --max-memory but the engine's activations together do
    /// not: a located refusal (a spec like this asked for a 6 GB arena and aborted).
    func testActivationsTogetherOverTheLimitAreRefused() throws {
        let run = try archc("run", "specs/tiny/tiny-resnet.yaml", "--batch", "3", "--max-memory", "32K")
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr, "specs/tiny/tiny-resnet.yaml: error: the activations need 33.00 KiB at batch 3, over the 32.00 KiB limit (--max-memory)\n")
        XCTAssertEqual(try archc("run", "specs/tiny/tiny-resnet.yaml", "--batch", "3", "--max-memory", "40K").status, 0)
    }

    /// A (1, 3, 16, 16) float32 .npy of `value` in `folder`.
    private func npy(_ value: Float, in folder: URL, name: String) throws -> URL {
        let file = folder.appendingPathComponent(name)
        let header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 16, 16), }\n".utf8)
        let values = [Float](repeating: value, count: 3 * 16 * 16).withUnsafeBytes { Array($0) }
        try Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.count), 0] + header + values).write(to: file)
        return file
    }

    /// Inputs that overflow float32 give NaN outputs: the JSON report says so and writes them
    /// as null (JSON has no NaN; the whole report was `{}`), and the run fails (it exited 0
    /// with a top-k of NaN) without replacing the --output a good run wrote.
    func testNonFiniteOutputsAreNullInTheJSONReport() throws {
        let dir = try temporaryFolder()
        let file = try npy(3e38, in: dir, name: "huge.npy"), out = dir.appendingPathComponent("out.npy")
        try Data("a good run's output".utf8).write(to: out)
        let run = try archc("run", "specs/tiny/tiny-resnet.yaml", "--input", file.path, "--report", "json", "--top", "2", "--output", out.path)
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("error: 5 of 5 output values are NaN or infinite (the first in image 0"), run.stderr)
        XCTAssertTrue(run.stderr.hasSuffix("; \(out.path) not written\n"), run.stderr)
        XCTAssertEqual(try Data(contentsOf: out), Data("a good run's output".utf8))
        // --check compared NaN with NaN (and NaN with numbers) as error 0: "all layers agree", exit 0.
        let check = try archc("run", "specs/tiny/tiny-resnet.yaml", "--input", file.path, "--check")
        XCTAssertEqual(check.status, 1, check.stdout)
        XCTAssertTrue(check.stdout.contains("FAILED: 5 output value(s) are NaN or infinite"), check.stdout)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.stdout)
        XCTAssertEqual(object["output_shape"] as? [Int], [1, 5])
        XCTAssertEqual(object["non_finite_outputs"] as? Int, 5)
        let predictions = try XCTUnwrap(object["predictions"] as? [[[String: Any]]])
        XCTAssertEqual(predictions.first?.count, 2)
        XCTAssertTrue(predictions.first?.allSatisfy { $0["probability"] is NSNull } ?? false, "\(predictions)")
    }

    /// A NaN or infinite input is refused: some kernels turned it into finite outputs (int8
    /// quantization clamps NaN to its lowest code, a max-pool drops it), reported as predictions.
    func testNonFiniteInputsAreRefused() throws {
        let dir = try temporaryFolder()
        for (value, name) in [(Float.nan, "nan.npy"), (-Float.infinity, "inf.npy")] {
            let file = try npy(value, in: dir, name: name)
            for run in [
                try archc("run", "specs/tiny/tiny-resnet.yaml", "--input", file.path, "--conv3x3", "direct"),
                try archcGenerated("specs/tiny/tiny-resnet.yaml", "--input", file.path),
            ] {
                XCTAssertEqual(run.status, 1, run.stderr)
                XCTAssertTrue(
                    run.stderr.hasPrefix(
                        "\(file.path): error: 768 of the input's 768 values are NaN or infinite (the first is \(value) at flat index 0, image 0)"),
                    run.stderr)
            }
        }
    }

    /// Calibration over images that overflow float32 (every value 3e38): an error naming the
    /// value without a range (a file without it was written, and run then asked for a new calibration).
    func testCalibrationWithoutAFiniteValueIsAnError() throws {
        let dir = try temporaryFolder()
        let file = try npy(3e38, in: dir, name: "huge.npy")
        let output = dir.appendingPathComponent("calib.json").path
        let run = try archc("calibrate", "specs/tiny/tiny-resnet.yaml", "--images", file.path, "-o", output)
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.hasPrefix("specs/tiny/tiny-resnet.yaml: error: '"), run.stderr)
        XCTAssertTrue(
            run.stderr.hasSuffix(
                " NaN or infinite value(s) in this batch (the first in calibration image 0), so no range can hold it (are the weights or inputs finite?)\n"),
            run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
    }

    /// 100 photos under a memory limit that one batch of 100 exceeds (conv1 needs 800 KiB at
    /// batch 100, 256 KiB at 32): they run in batches of 32 and all get a prediction.
    func testAFolderOfPhotosIsStreamedInBatches() throws {
        let dir = try temporaryFolder()
        let photo = try Data(contentsOf: Self.root.appendingPathComponent("Tests/ArchcImageTests/Fixtures/images/cat.jpg"))
        for i in 0..<100 { try photo.write(to: dir.appendingPathComponent(String(format: "%03d.jpg", i))) }
        let run = try archc("run", "specs/tiny/tiny-resnet.yaml", "--input", dir.path, "--max-memory", "512K", "--report", "json", "--top", "1")
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((object["inputs"] as? [String])?.count, 100)
        let shape = try XCTUnwrap(object["output_shape"] as? [Int])
        XCTAssertEqual(shape.first, 100)
        let predictions = try XCTUnwrap(object["predictions"] as? [[[String: Any]]])
        XCTAssertEqual(predictions.count, 100)
        // The same photo gives the same prediction in every batch, the padded last one included.
        let first = try XCTUnwrap(predictions[0][0]["probability"] as? Double)
        for row in predictions { XCTAssertEqual(row[0]["probability"] as? Double ?? -1, first, accuracy: 1e-5) }
        // --check compares one batch: the photos past it were neither decoded nor compared.
        for check in [
            try archc("run", "specs/tiny/tiny-resnet.yaml", "--input", dir.path, "--check"),
            try archcGenerated("specs/tiny/tiny-resnet.yaml", "--input", dir.path, "--check"),
        ] {
            XCTAssertEqual(check.status, 1, check.stdout)
            XCTAssertEqual(
                check.stderr,
                "specs/tiny/tiny-resnet.yaml: error: --check compares one batch of at most 32 images; 100 were given (check them a batch at a time)\n")
        }
        // The generated model read the first batch of 32 and exit 0.
        let generated = try archcGenerated("specs/tiny/tiny-resnet.yaml", "--input", dir.path, "--report", "json", "--top", "1")
        XCTAssertEqual(generated.status, 0, generated.stderr)
        let generatedObject = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(generated.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((generatedObject["predictions"] as? [[[String: Any]]])?.count, 100)
        XCTAssertEqual((generatedObject["output_shape"] as? [Int])?.first, 100)
    }
}
