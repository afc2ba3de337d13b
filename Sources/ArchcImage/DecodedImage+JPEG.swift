import CTurboJPEG

extension DecodedImage {
    /// The image as JPEG bytes of `quality` (1-100), 4:2:0 chroma and the accurate integer
    /// DCT, as PIL's `save(..., quality=q)` writes an RGB image; nil if libjpeg-turbo fails.
    /// TurboJPEG compresses with the fast DCT unless told otherwise: that moved pixels by up
    /// to 21 levels (mean 0.94) from PIL's files at quality 85; with TJFLAG_ACCURATEDCT the
    /// decoded pixels equal PIL's exactly (measured on 20 photo crops).
    public func jpegData(quality: Int) -> [UInt8]? {
        guard (1...100).contains(quality), width > 0, height > 0, pixels.count == width * height * 3 else { return nil }
        guard let handle = tjInitCompress() else { return nil }
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let status = pixels.withUnsafeBufferPointer {
            tjCompress2(
                handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(TJPF_RGB.rawValue), &buffer, &size, Int32(TJSAMP_420.rawValue),
                Int32(quality), TJFLAG_ACCURATEDCT)
        }
        defer { tjFree(buffer) }
        guard status == 0, let buffer else { return nil }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
    }

    /// The image saved as a JPEG of `quality` and read back: ImageNet-C's last step (its
    /// files are corrupted crops saved at quality 85), repeated when corrupting on the fly.
    public func jpegRoundTrip(quality: Int, file: String = "image") throws -> DecodedImage {
        guard let bytes = jpegData(quality: quality) else {
            throw Failure(file: file, message: "cannot encode a \(width)x\(height) image as JPEG of quality \(quality)")
        }
        return try Self.jpeg(bytes, file: file)
    }
}
