import CPNG
import Foundation

extension DecodedImage {
    /// The image as PNG bytes (8-bit RGB, libpng's simplified writer); nil if libpng fails.
    public func pngData() -> Data? {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = UInt32(PNG_FORMAT_RGB)
        defer { png_image_free(&image) }
        var size: png_alloc_size_t = 0
        // First call: how many bytes; second: the bytes.
        let sized = pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }
        guard sized != 0, size > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        let written = bytes.withUnsafeMutableBytes { out in
            pixels.withUnsafeBytes { png_image_write_to_memory(&image, out.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
        }
        guard written != 0 else { return nil }
        return Data(bytes.prefix(Int(size)))
    }
}
