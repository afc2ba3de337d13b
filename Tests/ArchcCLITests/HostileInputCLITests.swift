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

    /// An input of NaN gives NaN outputs: the JSON report says so and writes them as null
    /// (JSON has no NaN; the whole report was `{}`), and the run fails (it exited 0 with a
    /// top-k of NaN).
    func testNonFiniteOutputsAreNullInTheJSONReport() throws {
        let file = try temporaryFolder().appendingPathComponent("nan.npy")
        let header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 16, 16), }\n".utf8)
        let values = [Float](repeating: .nan, count: 3 * 16 * 16).withUnsafeBytes { Array($0) }
        try Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.count), 0] + header + values).write(to: file)
        let run = try archc("run", "specs/tiny/tiny-resnet.yaml", "--input", file.path, "--report", "json", "--top", "2")
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("error: 5 of 5 output values are NaN or infinite (the first in image 0"), run.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.stdout)
        XCTAssertEqual(object["output_shape"] as? [Int], [1, 5])
        XCTAssertEqual(object["non_finite_outputs"] as? Int, 5)
        let predictions = try XCTUnwrap(object["predictions"] as? [[[String: Any]]])
        XCTAssertEqual(predictions.first?.count, 2)
        XCTAssertTrue(predictions.first?.allSatisfy { $0["probability"] is NSNull } ?? false, "\(predictions)")
    }

    /// Calibration over images whose values are all NaN: an error naming the value without a
    /// range (a file without it was written, and run then asked for a new calibration).
    func testCalibrationWithoutAFiniteValueIsAnError() throws {
        let dir = try temporaryFolder()
        let file = dir.appendingPathComponent("nan.npy")
        let header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 16, 16), }\n".utf8)
        let values = [Float](repeating: .nan, count: 3 * 16 * 16).withUnsafeBytes { Array($0) }
        try Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.count), 0] + header + values).write(to: file)
        let output = dir.appendingPathComponent("calib.json").path
        let run = try archc("calibrate", "specs/tiny/tiny-resnet.yaml", "--images", file.path, "-o", output)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(
            run.stderr,
            "specs/tiny/tiny-resnet.yaml: error: 'input' was NaN or infinite in all 1 calibration image(s), so it has no range to quantize with (are the weights or inputs finite?)\n"
        )
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
    }
}
