import ArchcIO
import CFuzzerDriver

/// libFuzzer entry: any bytes as a .npy input; an error is fine, a crash is not.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _ = try? NPY.decode(Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)), file: "fuzz.npy")
    return 0
}

/// The entry point SwiftPM links as `main`: libFuzzer's driver, with its usual flags.
@_cdecl("fuzz_npy_main")
public func fuzzNPYMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var (count, arguments) = (argc, argv)
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzzNPY($0, $1) }
}
