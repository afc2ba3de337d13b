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
}
