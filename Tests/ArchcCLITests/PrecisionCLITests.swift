import Foundation
import XCTest

/// `archc calibrate` and `archc run --precision int8` end to end: the file, the run, and
/// every refusal with its exit code and message.
extension CLITests {
    func int8Folder() throws -> String {
        let path = NSTemporaryDirectory() + "archc-cli-int8-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testCalibrateThenRunInt8() throws {
        let dir = try int8Folder()
        let photos = "Tests/ArchcImageTests/Fixtures/images/"
        let calibrate = try archc(
            "calibrate", "specs/tiny/tiny-resnet.yaml", "--images", photos + "cat.jpg", "--images", photos + "cat-rgba.png", "-o", "\(dir)/c.json",
            "--save-inputs", "\(dir)/x.npy")
        XCTAssertEqual(calibrate.status, 0, calibrate.stderr)
        XCTAssertEqual(calibrate.stdout, "\(dir)/c.json: 9 activation ranges (min-max) from 2 image(s)\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/x.npy"))
        let int8 = try archc(
            "run", "specs/tiny/tiny-resnet.yaml", "--precision", "int8", "--calibration", "\(dir)/c.json", "--input", "\(dir)/x.npy", "--report", "json")
        let fp32 = try archc("run", "specs/tiny/tiny-resnet.yaml", "--input", "\(dir)/x.npy", "--report", "json")
        XCTAssertEqual(int8.status, 0, int8.stderr)
        XCTAssertNotEqual(int8.stdout, fp32.stdout, "int8 must change the output somewhere")
        let top = { (text: String) -> [Int] in
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            return (object?["predictions"] as? [[[String: Any]]] ?? []).map { $0.first?["index"] as? Int ?? -1 }
        }
        XCTAssertEqual(top(int8.stdout).count, 2)
        XCTAssertEqual(top(int8.stdout), top(fp32.stdout), "top class per image, int8 against fp32")
        let bench = try archc("run", "specs/tiny/tiny-resnet.yaml", "--precision", "int8", "--calibration", "\(dir)/c.json", "--bench", "--iterations", "1")
        XCTAssertTrue(bench.stdout.hasPrefix("tiny-resnet: batch 1, ") && bench.stdout.contains(" runs, int8, "), bench.stdout)
    }

    func testPrecisionRefusals() throws {
        let dir = try int8Folder()
        let missing = try archc("run", "specs/tiny/tiny-resnet.yaml", "--precision", "int8")
        XCTAssertEqual(missing.status, 64)
        XCTAssertTrue(missing.stderr.contains("--precision int8 needs --calibration FILE"), missing.stderr)
        let stray = try archc("run", "specs/tiny/tiny-resnet.yaml", "--calibration", "c.json")
        XCTAssertEqual(stray.status, 64)
        XCTAssertTrue(stray.stderr.contains("--calibration is for --precision int8"), stray.stderr)
        let check = try archc("run", "specs/tiny/tiny-resnet.yaml", "--precision", "int8", "--calibration", "c.json", "--check")
        XCTAssertEqual(check.status, 64)
        try #"{"archc_calibration": 1, "model": "tiny-resnet", "ranges": {"input": [1, 0]}}"#.write(
            toFile: "\(dir)/bad.json", atomically: true, encoding: .utf8)
        let bad = try archc("run", "specs/tiny/tiny-resnet.yaml", "--precision", "int8", "--calibration", "\(dir)/bad.json")
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "\(dir)/bad.json:1:61: error: range of 'input' must be float32 numbers with min <= max, found [1.0, 0.0]\n")
        let absent = try archc("run", "specs/tiny/tiny-resnet.yaml", "--precision", "int8", "--calibration", "\(dir)/none.json")
        XCTAssertEqual(absent.stderr, "\(dir)/none.json: error: no such file\n")
        // A FIFO with no writer made `run` block forever before the calibration file went
        // through FileReader; special files and directories are refused before any read.
        XCTAssertEqual(mkfifo("\(dir)/calib.fifo", 0o600), 0)
        let fifo = try archc("run", "specs/tiny/tiny-resnet.yaml", "--precision", "int8", "--calibration", "\(dir)/calib.fifo")
        XCTAssertEqual(fifo.status, 1)
        XCTAssertEqual(fifo.stderr, "\(dir)/calib.fifo: error: not a regular file (a FIFO)\n")
        let directory = try archc("run", "specs/tiny/tiny-resnet.yaml", "--precision", "int8", "--calibration", dir)
        XCTAssertEqual(directory.status, 1)
        XCTAssertEqual(directory.stderr, "\(dir): error: not a regular file (a directory)\n")
        let unwritable = try archc("calibrate", "specs/tiny/tiny-resnet.yaml", "--images", "specs/images/chelsea.png", "-o", "\(dir)/no/such/c.json")
        XCTAssertEqual(unwritable.status, 1)
        XCTAssertEqual(unwritable.stderr, "\(dir)/no/such/c.json: error: cannot write: No such file or directory\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/no"))
        let help = try archc("run", "--help")
        XCTAssertTrue(help.stdout.contains("--precision <precision>") && help.stdout.contains("--calibration <calib.json>"), help.stdout)
    }

    /// `-o F --save-inputs F` (or `./F`, or a link to F) wrote the .npy, then replaced it
    /// with the JSON, exit 0: refused before anything runs.
    func testCalibrateRefusesOneFileForBothOutputs() throws {
        let dir = try int8Folder()
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/link.json", withDestinationPath: "\(dir)/c.json")
        for other in ["\(dir)/c.json", "\(dir)/./c.json", "\(dir)/link.json"] {
            let run = try archc(
                "calibrate", "specs/tiny/tiny-resnet.yaml", "--images", "specs/images/chelsea.png", "-o", "\(dir)/c.json", "--save-inputs", other)
            XCTAssertEqual(run.status, 64, other)
            XCTAssertTrue(run.stderr.hasPrefix("Error: -o and --save-inputs name the same file (\(other)); one would replace the other"), run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/c.json"))
        }
    }

    /// When -o could not be written (a directory, a missing folder) the --save-inputs .npy
    /// had been written already, and the run failed after calibrating: both targets are
    /// checked before the run, and neither is written.
    func testCalibrateChecksBothOutputsBeforeRunning() throws {
        let dir = try int8Folder()
        for (output, message) in [
            (dir, "\(dir): error: cannot write: is a directory\n"),
            ("\(dir)/no/such/c.json", "\(dir)/no/such/c.json: error: cannot write: No such file or directory\n"),
        ] {
            let run = try archc(
                "calibrate", "specs/tiny/tiny-resnet.yaml", "--images", "specs/images/chelsea.png", "-o", output, "--save-inputs", "\(dir)/x.npy")
            XCTAssertEqual(run.status, 1)
            XCTAssertEqual(run.stderr, message)
            XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/x.npy"), output)
        }
        let inputs = try archc(
            "calibrate", "specs/tiny/tiny-resnet.yaml", "--images", "specs/images/chelsea.png", "-o", "\(dir)/c.json", "--save-inputs", dir)
        XCTAssertEqual(inputs.stderr, "\(dir): error: cannot write: is a directory\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/c.json"))
    }
}
