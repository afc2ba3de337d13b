import Foundation
import XCTest

/// `archc eval`, `archc eval merge` and `archc corrupt` end to end: help, refusals, outputs.
extension CLITests {
    static let evalPhotos = root.appendingPathComponent("Tests/ArchcImageTests/Fixtures/images").path

    func evalFolder() throws -> String {
        let path = NSTemporaryDirectory() + "archc-cli-eval-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testEvalHelpListsItsFlags() throws {
        let top = try archc("eval", "--help")
        XCTAssertTrue(top.stdout.contains("merge") && top.stdout.contains("archc eval run --help"), top.stdout)
        let help = try archc("eval", "run", "--help")
        XCTAssertEqual(help.status, 0)
        for flag in [
            "--weights", "--data", "--stylized", "--imagenet-r", "--sketch", "--imagenet-c", "--classes", "--corrupt", "--severity", "--clean-top1",
            "--shard", "--batch", "--workers", "--skip-bad", "--report", "--plot", "--output", "--resave-jpeg", "--profile",
        ] {
            XCTAssertTrue(help.stdout.contains(flag), "eval --help lacks \(flag)")
        }
        XCTAssertTrue(try archc("--help").stdout.contains("corrupt"))
    }

    func testEvalRefusesBadCommandLines() throws {
        let spec = "specs/tiny/tiny-robust-dw.yaml"
        let cases: [([String], String)] = [
            ([spec], "nothing to evaluate: give --data, --stylized, --imagenet-r, --sketch or --imagenet-c"),
            ([spec, "--data", "x", "--shard", "3/3"], "--shard expects K/N with 0 <= K < N, found '3/3'"),
            ([spec, "--data", "x", "--corrupt", "snow,sleet"], "--corrupt expects names from gaussian_noise, "),
            ([spec, "--imagenet-c", "x", "--corrupt", "fog"], "--corrupt corrupts the --data set; give --data"),
            ([spec, "--data", "x", "--corrupt", "fog", "--plot", "a.pdf"], "--plot writes SVG or PNG; give a file ending in .svg or .png, found 'a.pdf'"),
            ([spec, "--data", "x", "--corrupt", "fog", "--resave-jpeg", "101"], "--resave-jpeg expects a JPEG quality from 1 to 100 or off, found '101'"),
            ([spec, "--data", "x", "--resave-jpeg", "off"], "--resave-jpeg applies to --corrupt images; give --corrupt"),
            ([spec, spec, "--weights", "a.pth", "--data", "x"], "give one --weights per spec (2 specs, 1 --weights)"),
        ]
        for (arguments, message) in cases {
            let run = try archc(["eval"] + arguments)
            XCTAssertEqual(run.status, 64, arguments.joined(separator: " "))
            XCTAssertTrue(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
    }

    func testEvalNamesAnUnknownClassFolder() throws {
        let root = try evalFolder()
        try FileManager.default.createDirectory(atPath: root + "/kittens", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.evalPhotos + "/cat.jpg", toPath: root + "/kittens/a.jpg")
        let run = try archc("eval", "specs/tiny/tiny-robust-dw.yaml", "--data", root)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr, "\(root)/kittens: error: unknown class 'kittens': expected an ImageNet-1k WordNet ID such as n01440764 or a class index\n")
    }

    func testEvalTextReportAndMergeRefusals() throws {
        let root = try evalFolder()
        for (label, photo) in [("0", "cat.jpg"), ("1", "cat-gray.png"), ("1", "cat-rgba.png")] {
            try FileManager.default.createDirectory(atPath: "\(root)/data/\(label)", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(Self.evalPhotos)/\(photo)", toPath: "\(root)/data/\(label)/\(photo)")
        }
        let text = try archc("eval", "specs/tiny/tiny-robust-dw.yaml", "--data", root + "/data")
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix("tiny-robust-dw\n  imagenet   3 of 3 images  top-1 "), text.stdout)
        let whole = try archc("eval", "specs/tiny/tiny-robust-dw.yaml", "--data", root + "/data", "--report", "json", "-o", root + "/whole.json")
        XCTAssertEqual(whole.status, 0, whole.stderr)
        let merge = try archc("eval", "merge", root + "/whole.json")
        XCTAssertEqual(merge.status, 1)
        XCTAssertEqual(merge.stderr, "\(root)/whole.json: error: not a partial result (no shard); write parts with --shard K/N\n")
        let part = try archc("eval", "specs/tiny/tiny-robust-dw.yaml", "--data", root + "/data", "--report", "json", "--shard", "0/2", "-o", root + "/p0.json")
        XCTAssertEqual(part.status, 0, part.stderr)
        let missing = try archc("eval", "merge", root + "/p0.json")
        XCTAssertEqual(missing.stderr, "\(root)/p0.json: error: missing shard 1/2\n")
        // Two models side by side: each warning says whose it is (they were two identical lines).
        try Data().write(to: URL(fileURLWithPath: root + "/data/0/empty.png"))
        let specs = ["specs/tiny/tiny-robust-dw.yaml", "specs/tiny/tiny-resnet.yaml"]
        let two = try archc(["eval"] + specs + ["--data", root + "/data", "--skip-bad"])
        XCTAssertEqual(two.status, 0, two.stderr)
        let lines = two.stderr.components(separatedBy: "\n")
        for spec in specs {
            XCTAssertTrue(lines.contains("\(root)/data/0/empty.png: warning: skipped: empty file (0 bytes), not an image [\(spec)]"), two.stderr)
        }
    }

    func testCorruptWritesAPNGOfTheSameSize() throws {
        let root = try evalFolder()
        let run = try archc("corrupt", Self.evalPhotos + "/cat.jpg", "--corruption", "pixelate", "--severity", "5", "-o", root + "/out.png")
        XCTAssertEqual(run.status, 0, run.stderr)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: root + "/out.png"))
        XCTAssertEqual(Array(bytes.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        // PNG's IHDR: width and height, big-endian, at bytes 16-23; cat.jpg is 90x60.
        let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual([width, height], [90, 60])
        let unknown = try archc("corrupt", Self.evalPhotos + "/cat.jpg", "--corruption", "sleet", "--severity", "1", "-o", root + "/x.png")
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.contains("corruption 'sleet' is unknown; available: gaussian_noise, "), unknown.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/x.png"))
        let severity = try archc("corrupt", Self.evalPhotos + "/cat.jpg", "--corruption", "snow", "--severity", "6", "-o", root + "/x.png")
        XCTAssertEqual(severity.status, 64)
        XCTAssertTrue(severity.stderr.contains("--severity must be between 1 and 5, found 6"), severity.stderr)
        // PNG bytes under a .jpg name were written silently.
        let jpeg = try archc("corrupt", Self.evalPhotos + "/cat.jpg", "--corruption", "pixelate", "--severity", "1", "-o", root + "/x.jpg")
        XCTAssertEqual(jpeg.status, 64)
        XCTAssertTrue(jpeg.stderr.contains("-o must name a .png file (the corrupted image is written as PNG), found '\(root)/x.jpg'"), jpeg.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/x.jpg"))
    }

    /// frost without its photos: an error naming the first missing file, nothing written;
    /// with them (here cat.jpg under the five names: smaller than the image, so scaled up), a PNG.
    func testCorruptFrostNeedsItsPhotos() throws {
        let root = try evalFolder()
        let missing = try archc(
            "corrupt", Self.evalPhotos + "/cat.jpg", "--corruption", "frost", "--severity", "3", "--frost-dir", root + "/none", "-o", root + "/x.png")
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.hasPrefix("\(root)/none/frost1.png: error: frost texture not found: frost needs frost1.png, "), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/x.png"))
        let photos = try frostFolder(root)
        let run = try archc("corrupt", Self.evalPhotos + "/cat.jpg", "--corruption", "frost", "--severity", "3", "--frost-dir", photos, "-o", root + "/x.png")
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/x.png"))
    }

    /// A folder with cat.jpg under frost's five file names (the decoder goes by content).
    func frostFolder(_ root: String) throws -> String {
        let folder = root + "/frost"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in ["frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg"] {
            try FileManager.default.copyItem(atPath: Self.evalPhotos + "/cat.jpg", toPath: "\(folder)/\(name)")
        }
        return folder
    }

    /// `--corrupt all --severity all` runs the 15 benchmark corruptions (and the 4 extras) at
    /// every severity, so the report has mCE; without the frost photos it stops, naming them.
    func testEvalCorruptAllGivesMCE() throws {
        let root = try evalFolder()
        try FileManager.default.createDirectory(atPath: root + "/data/0", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.evalPhotos + "/cat.jpg", toPath: root + "/data/0/cat.jpg")
        let arguments = ["eval", "specs/tiny/tiny-robust-dw.yaml", "--data", root + "/data", "--corrupt", "all", "--severity", "all", "--report", "json"]
        let missing = try archc(arguments + ["--frost-dir", root + "/none"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.hasPrefix("\(root)/none/frost1.png: error: frost texture not found"), missing.stderr)
        let run = try archc(arguments + ["--frost-dir", try frostFolder(root)])
        XCTAssertEqual(run.status, 0, run.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((report["results"] as? [Any])?.count, 19 * 5)
        XCTAssertEqual((report["ce"] as? [String: Double])?.count, 15)
        let mce = try XCTUnwrap(report["mce"] as? Double, run.stdout)
        XCTAssertTrue(mce > 0 && mce.isFinite, "\(mce)")
    }

    /// --plot FILE.png writes the chart as a PNG twice the SVG's size (one corruption: one
    /// panel, 210 x 186 units); --profile reports the images on standard error.
    func testEvalPlotsPNGAndProfiles() throws {
        let root = try evalFolder()
        try FileManager.default.createDirectory(atPath: root + "/data/0", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.evalPhotos + "/cat.jpg", toPath: root + "/data/0/cat.jpg")
        let run = try archc(
            "eval", "specs/tiny/tiny-robust-dw.yaml", "--data", root + "/data", "--corrupt", "contrast", "--severity", "1",
            "--plot", root + "/plot.PNG", "--profile")
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.hasPrefix("tiny-robust-dw profile: 2 images in 1 batches, "), run.stderr)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: root + "/plot.PNG"))
        XCTAssertEqual(Array(bytes.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual([width, height], [420, 372])
    }
}
