import ArchcDriver
import ArchcIO
import ArchcIR
@testable import ArchcImage
import CTurboJPEG
import Foundation
import XCTest

/// Photos whose decoded or resized size would be huge are refused from their header, and a
/// folder of photos is decoded one batch at a time.
final class ImageLimitTests: XCTestCase {
    /// A gray JPEG of `width` x `height`, encoded by libjpeg-turbo.
    static func jpeg(width: Int, height: Int) throws -> [UInt8] {
        let handle = try XCTUnwrap(tjInitCompress())
        defer { tjDestroy(handle) }
        let pixels = [UInt8](repeating: 128, count: width * height)
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let status = pixels.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(TJPF_GRAY.rawValue), &output, &size, Int32(TJSAMP_GRAY.rawValue), 75, 0)
        }
        XCTAssertEqual(status, 0)
        defer { tjFree(output) }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    /// The 6 KB 65500 x 1 JPEG that asked for 51 GB when resized to 256 on its short side.
    func testLongThinPhotoIsRefusedBeforeResizing() throws {
        let bytes = try Self.jpeg(width: 65_500, height: 1)
        XCTAssertLessThan(bytes.count, 10_000)
        let image = try DecodedImage.decode(bytes, file: "thin.jpg")
        XCTAssertEqual([image.width, image.height], [65_500, 1])
        XCTAssertEqual(
            HostileFiles.message { try Preprocessing.imagenet(size: 224).apply(image, file: "thin.jpg") },
            "thin.jpg: error: a 65500x1 photo resized to 256 on its shorter side and cropped to 224 would need 16768000.0x256.0 pixels, over the 16000000 limit (docs/limits.md)"
        )
    }

    /// Just under and just over the resized-pixel limit.
    func testResizedPixelLimit() throws {
        let p = Preprocessing(resize: 1000, crop: 1000, interpolation: .bilinear, mean: [0, 0, 0], std: [1, 1, 1])
        let at = DecodedImage(width: 16_000, height: 1000, pixels: [])
        XCTAssertEqual(try p.resizedSize(at, file: "a").width, 16_000)
        let over = DecodedImage(width: 16_001, height: 1000, pixels: [])
        XCTAssertTrue(HostileFiles.message { try p.resizedSize(over, file: "b") }.contains("over the 16000000 limit"))
    }

    /// A JPEG header claiming 10001 x 5000 pixels (just over 50 million): refused before decoding.
    func testDecodedPixelLimit() throws {
        var bytes = try Self.jpeg(width: 8, height: 8)
        let sof = try XCTUnwrap((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes.replaceSubrange((sof + 5)..<(sof + 9), with: [0x13, 0x88, 0x27, 0x11])  // height 5000, width 10001
        XCTAssertEqual(
            HostileFiles.message { try DecodedImage.decode(bytes, file: "big.jpg") },
            "big.jpg: error: JPEG of 10001x5000 pixels is outside the accepted size (at most 50000000 pixels, docs/limits.md)")
        bytes.replaceSubrange((sof + 5)..<(sof + 9), with: [0x13, 0x88, 0x27, 0x10])  // 10000 x 5000: exactly the limit
        XCTAssertFalse(HostileFiles.message { try DecodedImage.decode(bytes, file: "big.jpg") }.contains("outside the accepted size"))
    }

    func testPhotoFileSizeLimit() throws {
        let path = try HostileFiles.temporaryFolder(self).appendingPathComponent("huge.jpg").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
        XCTAssertEqual(truncate(path, off_t(ReaderLimits.imageFileBytes + 1)), 0)
        XCTAssertEqual(
            HostileFiles.message { try DecodedImage.read(path) },
            "\(path): error: file of 268435457 bytes is over the 268435456 byte limit for a photo (docs/limits.md)")
    }

    /// 70 photos: listed at once, decoded 32 at a time (the last batch padded with zeros).
    func testFoldersAreDecodedOneBatchAtATime() throws {
        let dir = try HostileFiles.temporaryFolder(self)
        let photo = Data(try Self.jpeg(width: 40, height: 30))
        for i in 0..<70 { try photo.write(to: dir.appendingPathComponent(String(format: "%03d.jpg", i))) }
        let inputs = try InputBatch.open([dir.path], spec: try HostileFiles.tinySpec(), inputType: TensorType([3, 32, 32]))
        XCTAssertEqual(inputs.files.count, 70)
        XCTAssertEqual(inputs.batchSize, ReaderLimits.photosPerBatch)
        XCTAssertEqual(inputs.batchCount, 3)
        let last = try inputs.batch(2)
        XCTAssertEqual(last.count, 6)
        XCTAssertEqual(last.files, (64..<70).map { dir.appendingPathComponent(String(format: "%03d.jpg", $0)).path })
        XCTAssertEqual(last.tensor.dims, [32, 3, 32, 32])
        XCTAssertTrue(last.tensor.data[(6 * 3 * 32 * 32)...].allSatisfy { $0 == 0 }, "padding")
        XCTAssertEqual(Array(last.tensor.data[0..<(3 * 32 * 32)]), Array(try inputs.batch(0).tensor.data[0..<(3 * 32 * 32)]), "same photo, same values")
    }
}
