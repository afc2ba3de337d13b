import ArchcDriver
import ArchcIO
@testable import ArchcImage
import Foundation
import XCTest

/// Corrupting on the fly ends as ImageNet-C's files did: the corrupted 224x224 crop saved
/// as a JPEG of quality 85 and read back (by default), or left as made (`off`).
final class JPEGResaveTests: XCTestCase {
    func sample(_ set: String = "corrupted") -> EvalSample {
        EvalSample(path: EvalTest.images + "/cat.jpg", label: 0, key: EvalKey(set: set, corruption: "contrast", severity: 2))
    }

    func testDefaultResaveEqualsAJPEGFileOfQuality85() throws {
        XCTAssertEqual(EvalJob().resaveQuality, 85)
        let image = try DecodedImage.read(EvalTest.images + "/cat.jpg")
        let crop = try Corruption.contrast.imagenetC(image, severity: 2, seed: 7)
        // What a reader of ImageNet-C's distributed files decodes: the crop as a .JPEG file.
        let file = try EvalTest.folder(self) + "/crop.JPEG"
        try Data(try XCTUnwrap(crop.jpegData(quality: 85))).write(to: URL(fileURLWithPath: file))
        let fromFile = try DecodedImage.read(file)
        let resaved = try EvalJob.corrupt(frost: nil, resavingAt: EvalJob().resaveQuality)(image, sample(), 7)
        XCTAssertEqual([resaved.width, resaved.height], [224, 224])
        XCTAssertEqual(resaved.pixels, fromFile.pixels)
        XCTAssertNotEqual(resaved.pixels, crop.pixels, "quality 85 is lossy: the re-save must show")
        let worst = zip(resaved.pixels, crop.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        XCTAssertLessThan(worst, 64, "a quality-85 JPEG stays close to its source")
    }

    /// The re-save decodes to exactly the pixels of PIL's quality-85 file of the same crop
    /// (Tests/python/make_jpeg_resave_fixture.py); TurboJPEG's default fast DCT was up to
    /// 8 levels off on this crop.
    func testResaveEqualsPILsQuality85File() throws {
        let folder = EvalTest.root.appendingPathComponent("Tests/ArchcEvalTests/Fixtures/resave").path
        let crop = try DecodedImage.read(folder + "/crop.png")
        let pil = try DecodedImage.read(folder + "/crop-q85.jpg")
        XCTAssertEqual([crop.width, crop.height], [64, 48])
        let ours = try crop.jpegRoundTrip(quality: 85).pixels
        XCTAssertEqual(ours.count, pil.pixels.count)
        let differences = zip(ours, pil.pixels).map { abs(Int($0) - Int($1)) }
        XCTAssertEqual(differences.max(), 0, "\(differences.filter { $0 > 0 }.count) of \(differences.count) values differ from PIL's")
    }

    func testOffLeavesTheCorruptedCropAndCleanImagesPassUnchanged() throws {
        let image = try DecodedImage.read(EvalTest.images + "/cat.jpg")
        let crop = try Corruption.contrast.imagenetC(image, severity: 2, seed: 7)
        XCTAssertEqual(try EvalJob.corrupt(frost: nil, resavingAt: nil)(image, sample(), 7).pixels, crop.pixels)
        let clean = try EvalJob.corrupt(frost: nil, resavingAt: 85)(image, sample("imagenet"), 7)
        XCTAssertEqual([clean.width, clean.height], [image.width, image.height])
        XCTAssertEqual(clean.pixels, image.pixels)
    }

    func testJPEGEncodingRefusesWhatItCannotWrite() throws {
        let image = DecodedImage(width: 3, height: 2, pixels: [UInt8](repeating: 90, count: 18))
        let bytes = try XCTUnwrap(image.jpegData(quality: 85))
        XCTAssertEqual(Array(bytes.prefix(2)), [0xFF, 0xD8])
        XCTAssertEqual(try DecodedImage.decode(bytes, file: "x").pixels, image.pixels, "a flat image survives JPEG exactly")
        XCTAssertNil(image.jpegData(quality: 0))
        XCTAssertNil(image.jpegData(quality: 101))
        XCTAssertNil(DecodedImage(width: 3, height: 2, pixels: [1, 2]).jpegData(quality: 85))
        XCTAssertThrowsError(try image.jpegRoundTrip(quality: 0, file: "a.png")) { error in
            XCTAssertEqual("\(error)", "a.png: error: cannot encode a 3x2 image as JPEG of quality 0")
        }
    }

    /// The source a corrupted set reports names the re-save, so parts of runs that differ
    /// in it refuse to merge.
    func testTheReportNamesTheResave() throws {
        let root = try EvalTest.tree(self)
        var job = EvalJob()
        job.sets = [("imagenet", root)]
        job.corruptions = (["contrast"], [1])
        XCTAssertEqual(try job.plan(classes: 10).sources["corrupted"], "\(root), corrupted on the fly, saved as JPEG quality 85")
        job.resaveQuality = nil
        XCTAssertEqual(try job.plan(classes: 10).sources["corrupted"], "\(root), corrupted on the fly, not re-saved as JPEG")
    }
}
