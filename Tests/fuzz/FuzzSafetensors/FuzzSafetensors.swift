import ArchcIO
import CFuzzerDriver

/// libFuzzer entry: any bytes as a safetensors checkpoint; small tensors are also loaded.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    _ = CheckpointFormat.detect(bytes)
    // Loading is bounded by the file (data_offsets must lie inside it), so every tensor is loaded.
    if let tensors = try? Safetensors.index(bytes, file: "fuzz.safetensors") {
        for tensor in tensors.values { _ = try? tensor.load() }
    }
    return 0
}

/// The entry point SwiftPM links as `main`: libFuzzer's driver, with its usual flags.
@_cdecl("fuzz_safetensors_main")
public func fuzzSafetensorsMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var (count, arguments) = (argc, argv)
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzzSafetensors($0, $1) }
}
