import ArchcIO
import CPNG
import CTurboJPEG
import Foundation

/// An 8-bit RGB image, rows top to bottom, pixels interleaved (H, W, 3).
public struct DecodedImage: Sendable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public struct Failure: Error, CustomStringConvertible {
        public var file: String
        public var message: String
        public var description: String { "\(file): error: \(message)" }
    }

    /// Decodes a PNG or JPEG file (by its first bytes); grayscale and alpha become RGB.
    public static func read(_ path: String) throws -> DecodedImage {
        let bytes: [UInt8]
        do { bytes = try FileReader.read(path, limit: ReaderLimits.imageFileBytes, kind: "photo") } catch let error as IOError {
            throw Failure(file: path, message: error.message)
        }
        return try decode(bytes, file: path)
    }

    /// Decodes PNG or JPEG bytes; images over `ReaderLimits.decodedPixels` are refused
    /// from their header, before the pixels are allocated.
    public static func decode(_ bytes: [UInt8], file: String) throws -> DecodedImage {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try png(bytes, file: file) }
        if bytes.starts(with: [0xFF, 0xD8]) { return try jpeg(bytes, file: file) }
        // An empty file (an interrupted download or copy) is named as such, not as an unknown format.
        guard !bytes.isEmpty else { throw Failure(file: file, message: "empty file (0 bytes), not an image") }
        throw Failure(file: file, message: "not a PNG or JPEG image (unrecognised first bytes)")
    }

    static func checkSize(_ kind: String, _ w: Int, _ h: Int, file: String) throws {
        guard w > 0, h > 0, w <= ReaderLimits.decodedPixels / h else {
            throw Failure(
                file: file, message: "\(kind) of \(w)x\(h) pixels is outside the accepted size (at most \(ReaderLimits.decodedPixels) pixels, docs/limits.md)")
        }
    }

    /// The stored sample values, as PIL's `convert('RGB')` gives them (CPNG's shim.h says how).
    static func png(_ bytes: [UInt8], file: String) throws -> DecodedImage {
        var w: png_uint_32 = 0, h: png_uint_32 = 0
        var decoded: UnsafeMutablePointer<UInt8>?
        var reader = archc_png_reader()
        let status = bytes.withUnsafeBufferPointer { source in
            reader.bytes = source.baseAddress
            reader.count = source.count
            return archc_png_decode_rgb(&reader, ReaderLimits.decodedPixels, &w, &h, &decoded)
        }
        defer { free(decoded) }
        if status == 2 { try checkSize("PNG", Int(w), Int(h), file: file) }
        guard status == 0, let decoded else {
            let message = withUnsafeBytes(of: &reader.message) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
            throw Failure(file: file, message: "invalid PNG: \(message)")
        }
        let count = Int(w) * Int(h) * 3
        return DecodedImage(width: Int(w), height: Int(h), pixels: Array(UnsafeBufferPointer(start: decoded, count: count)))
    }

    static func jpeg(_ bytes: [UInt8], file: String) throws -> DecodedImage {
        guard let handle = tjInitDecompress() else { throw Failure(file: file, message: "cannot start the JPEG decoder") }
        defer { tjDestroy(handle) }
        var w: Int32 = 0, h: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let header = bytes.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt($0.count), &w, &h, &subsampling, &colorspace)
        }
        guard header == 0 else { throw Failure(file: file, message: "invalid JPEG: \(String(cString: tjGetErrorStr2(handle)))") }
        // A file cut after its first bytes has no frame header: the decoder reported success and 0x0.
        guard w > 0, h > 0 else { throw Failure(file: file, message: "invalid JPEG: no frame header (the file is cut short: \(bytes.count) bytes)") }
        try checkSize("JPEG", Int(w), Int(h), file: file)
        if colorspace == TJCS_CMYK.rawValue || colorspace == TJCS_YCCK.rawValue { return try cmyk(bytes, handle, Int(w), Int(h), file: file) }
        var pixels = [UInt8](repeating: 0, count: Int(w) * Int(h) * 3)
        let status = bytes.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { target in
                tjDecompress2(handle, source.baseAddress, UInt(source.count), target.baseAddress, w, 0, h, Int32(TJPF_RGB.rawValue), 0)
            }
        }
        guard status == 0 else { throw Failure(file: file, message: "invalid JPEG: \(String(cString: tjGetErrorStr2(handle)))") }
        return DecodedImage(width: Int(w), height: Int(h), pixels: pixels)
    }

    /// A CMYK (or YCCK) JPEG as PIL reads it: the stored samples taken as Adobe's inverted
    /// CMYK (PIL assumes so for every CMYK JPEG), then PIL's CMYK -> RGB,
    /// r = stored c * stored k / 255 rounded as its MULDIV255.
    private static func cmyk(_ bytes: [UInt8], _ handle: tjhandle, _ w: Int, _ h: Int, file: String) throws -> DecodedImage {
        var stored = [UInt8](repeating: 0, count: w * h * 4)
        let status = bytes.withUnsafeBufferPointer { source in
            stored.withUnsafeMutableBufferPointer { target in
                tjDecompress2(handle, source.baseAddress, UInt(source.count), target.baseAddress, Int32(w), 0, Int32(h), Int32(TJPF_CMYK.rawValue), 0)
            }
        }
        guard status == 0 else { throw Failure(file: file, message: "invalid CMYK JPEG: \(String(cString: tjGetErrorStr2(handle)))") }
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        for p in 0..<(w * h) {
            let k = Int(stored[p * 4 + 3])
            for c in 0..<3 {
                let t = Int(stored[p * 4 + c]) * k + 128
                pixels[p * 3 + c] = UInt8(((t >> 8) + t) >> 8)
            }
        }
        return DecodedImage(width: w, height: h, pixels: pixels)
    }
}
