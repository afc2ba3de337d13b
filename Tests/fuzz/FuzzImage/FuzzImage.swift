import ArchcImage
import CFuzzerDriver

/// libFuzzer entry: any bytes as a photo, decoded (PNG or JPEG) and prepared for a 32 x 32
/// model; the first byte picks the interpolation and a resize between 32 and 96.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    guard let image = try? DecodedImage.decode(bytes, file: "fuzz.img") else { return 0 }
    var preprocessing = Preprocessing.imagenet(size: 32)
    if let first = bytes.last {
        preprocessing.interpolation = first & 1 == 0 ? .bilinear : .bicubic
        preprocessing.resize = 32 + Int(first >> 1) % 64
    }
    _ = try? preprocessing.apply(image, file: "fuzz.img")
    return 0
}

/// The entry point SwiftPM links as `main`: libFuzzer's driver, with its usual flags.
@_cdecl("fuzz_image_main")
public func fuzzImageMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var (count, arguments) = (argc, argv)
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzzImage($0, $1) }
}
