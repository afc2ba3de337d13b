import ArchcDriver
import ArchcIO
import ArchcImage
import XCTest

final class EvalDatasetTests: XCTestCase {
    func testImageFolderByWnidAndIndex() throws {
        let root = try EvalTest.tree(self)
        try "not a class".write(toFile: root + "/README.txt", atomically: true, encoding: .utf8)
        let data = try EvalDataset.load(root, set: "imagenet")
        XCTAssertEqual(data.samples.count, 11)
        XCTAssertEqual(data.samples.map(\.path), data.samples.map(\.path).sorted())
        XCTAssertEqual(Set(data.samples.map(\.label)), [0, 1, 2, 3, 4])
        XCTAssertEqual(data.samples.filter { $0.label == 0 }.count, 3)
        XCTAssertTrue(data.samples.allSatisfy { $0.key == EvalKey(set: "imagenet") })
    }

    func testUnknownClassFolderIsNamed() throws {
        let root = try EvalTest.tree(self)
        try FileManager.default.createDirectory(atPath: root + "/cats", withIntermediateDirectories: true)
        XCTAssertThrowsError(try EvalDataset.load(root, set: "imagenet")) { error in
            XCTAssertEqual(
                (error as? IOError)?.description,
                "\(root)/cats: error: unknown class 'cats': expected an ImageNet-1k WordNet ID such as n01440764 or a class index")
        }
    }

    func testEmptySetIsAnError() throws {
        let root = try EvalTest.folder(self)
        try FileManager.default.createDirectory(atPath: root + "/n01440764", withIntermediateDirectories: true)
        XCTAssertThrowsError(try EvalDataset.load(root, set: "imagenet")) { error in
            XCTAssertTrue((error as? IOError)?.description.hasPrefix("\(root): error: no images found") == true, "\(error)")
        }
        XCTAssertThrowsError(try EvalDataset.load(root + "/missing", set: "imagenet")) { error in
            XCTAssertEqual((error as? IOError)?.description, "\(root)/missing: error: no such folder")
        }
        // A list that is not named .csv was called "no such folder" though it exists.
        try "a.jpg\t0\n".write(toFile: root + "/list.tsv", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try EvalDataset.load(root + "/list.tsv", set: "imagenet")) { error in
            XCTAssertEqual(
                (error as? IOError)?.description,
                "\(root)/list.tsv: error: not a folder or a .csv file: expected an ImageFolder tree (ROOT/<class>/<image>) or a path,label manifest named *.csv"
            )
        }
    }

    /// Windows line ends (Excel, pandas) and Excel's UTF-8 BOM: "\r\n" is one Character in
    /// Swift, so splitting on "\n" read the whole file as one line, and the BOM stayed in the
    /// first path.
    func testManifestWithCRLFAndBOM() throws {
        let root = try EvalTest.tree(self)
        let csv = root + "/windows.csv"
        try "\u{FEFF}n01440764/img0.jpg,0\r\n\(root)/4/img8.png,n01443537\r\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let data = try EvalDataset.load(csv, set: "imagenet")
        XCTAssertEqual(data.samples.map(\.path), ["\(root)/4/img8.png", "\(root)/n01440764/img0.jpg"])
        XCTAssertEqual(data.samples.map(\.label), [1, 0])
        // Each manifest's bytes and the error it gives. Python's csv module in text mode on
        // Windows ends lines "\r\r\n" (line 3 was called 5); a form feed or U+2028 inside a name
        // is part of the name, not a line end; lines ended by "\r" alone (classic Mac OS) are
        // lines; a line longer than any path is refused without being echoed; a Latin-1 name
        // was decoded with a replacement character and then "no such file".
        let cases: [(Data, String)] = [
            (Data("\u{FEFF}path,label\r\na.jpg,0\r\nb.jpg\r\n".utf8), "3: error: expected 'path,label', found 'b.jpg'"),
            (Data("path,label\r\r\na.jpg,0\r\r\nb.jpg\r\r\n".utf8), "3: error: expected 'path,label', found 'b.jpg'"),
            (Data("a\u{0C}b.jpg,0\nc\u{2028}d.jpg,1\ne.jpg\n".utf8), "3: error: expected 'path,label', found 'e.jpg'"),
            (Data("path,label\ra.jpg,0\rb.jpg\r".utf8), "3: error: expected 'path,label', found 'b.jpg'"),
            (Data("a.jpg,0\n\(String(repeating: "x", count: 5000)),1\n".utf8), "2: error: a line of 5002 bytes, over the 4160-byte limit of a path,label line"),
            (Data("a.jpg,0\ncaf".utf8) + [0xE9] + Data(".jpg,1\n".utf8), "2: error: not UTF-8 text: a manifest's file names must be UTF-8 (save it as UTF-8)"),
        ]
        for (bytes, message) in cases {
            try bytes.write(to: URL(fileURLWithPath: csv))
            XCTAssertThrowsError(try EvalDataset.load(csv, set: "imagenet")) { error in
                XCTAssertEqual((error as? IOError)?.description, "\(csv):\(message)")
            }
        }
        try "a\u{0C}b.jpg,0\nc\u{2028}d.jpg,1\n".write(toFile: csv, atomically: true, encoding: .utf8)
        XCTAssertEqual(try EvalDataset.load(csv, set: "imagenet").samples.map(\.path), ["\(root)/a\u{0C}b.jpg", "\(root)/c\u{2028}d.jpg"])
    }

    func testManifest() throws {
        let root = try EvalTest.tree(self)
        let csv = root + "/list.csv"
        try "path,label\nn01440764/img0.jpg,0\n\(root)/4/img8.png,n01443537\n\nodd,name.png,7\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let data = try EvalDataset.load(csv, set: "imagenet")
        XCTAssertEqual(data.samples.map(\.label), [1, 0, 7])
        XCTAssertEqual(data.samples.map(\.path), ["\(root)/4/img8.png", "\(root)/n01440764/img0.jpg", "\(root)/odd,name.png"])
        try "a.jpg\n".write(toFile: csv, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try EvalDataset.load(csv, set: "imagenet")) { error in
            XCTAssertEqual((error as? IOError)?.description, "\(csv):1: error: expected 'path,label', found 'a.jpg'")
        }
        try "a.jpg,goldfish\n".write(toFile: csv, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try EvalDataset.load(csv, set: "imagenet")) { error in
            XCTAssertTrue((error as? IOError)?.description.hasPrefix("\(csv):1: error: unknown class 'goldfish'") == true, "\(error)")
        }
    }

    func testImageNetCLayout() throws {
        let root = try EvalTest.folder(self)
        for (corruption, severity) in [("fog", 1), ("fog", 5), ("pixelate", 3)] {
            try EvalTest.place("\(EvalTest.images)/cat.jpg", at: "\(corruption)/\(severity)/n01440764/a.jpg", in: root)
            try EvalTest.place("\(EvalTest.images)/cat.jpg", at: "\(corruption)/\(severity)/n01443537/b.jpg", in: root)
        }
        let data = try EvalDataset.imagenetC(root)
        XCTAssertEqual(data.samples.count, 6)
        XCTAssertEqual(
            Set(data.samples.map(\.key)),
            [
                EvalKey(set: "imagenet-c", corruption: "fog", severity: 1), EvalKey(set: "imagenet-c", corruption: "fog", severity: 5),
                EvalKey(set: "imagenet-c", corruption: "pixelate", severity: 3),
            ])
        try FileManager.default.createDirectory(atPath: root + "/fog/6", withIntermediateDirectories: true)
        XCTAssertThrowsError(try EvalDataset.imagenetC(root)) { error in
            XCTAssertEqual((error as? IOError)?.description, "\(root)/fog/6: error: expected severity folders 1 to 5 inside a corruption folder, found '6'")
        }
    }

    /// A folder that is no ImageNet-C corruption (ROOT/bogus/1/...) was evaluated and
    /// reported as a corruption of that name; it is an error naming the folder.
    func testImageNetCRefusesUnknownCorruptionFolders() throws {
        let root = try EvalTest.folder(self)
        try EvalTest.place("\(EvalTest.images)/cat.jpg", at: "speckle_noise/2/n01440764/a.jpg", in: root)
        XCTAssertEqual(try EvalDataset.imagenetC(root).samples.count, 1, "the 4 extra corruptions are ImageNet-C folders too")
        try EvalTest.place("\(EvalTest.images)/cat.jpg", at: "bogus/1/n01440764/a.jpg", in: root)
        XCTAssertThrowsError(try EvalDataset.imagenetC(root)) { error in
            XCTAssertEqual(
                (error as? IOError)?.description,
                "\(root)/bogus: error: not an ImageNet-C corruption; expected folders named gaussian_noise, shot_noise, ..., spatter (19 names, archc corrupt --help)"
            )
        }
    }

    /// `auto` picks ImageNet-R's 200 classes exactly when the folders are its 200 wnids.
    func testImageNetRDetection() {
        let r = Set(ImageNetSynsets.imagenetR.map { ImageNetSynsets.wnids[$0] })
        XCTAssertEqual(r.count, 200)
        XCTAssertEqual(ClassSubset.detect(classNames: r), .imagenetR)
        XCTAssertEqual(ClassSubset.detect(classNames: r.subtracting([ImageNetSynsets.wnids[1]])), .all)
        XCTAssertEqual(ClassSubset.detect(classNames: Set(ImageNetSynsets.wnids)), .all)
    }
}
