import ArchcIO
import CFuzzerDriver

/// libFuzzer entry: any bytes as a torch.save checkpoint (zip or legacy pickle). Tensors
/// up to a million elements are materialised: a stride-0 view may legally be far larger
/// than its file, which is why archc materialises only the tensors a spec uses.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTorch(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    if let tensors = try? TorchCheckpoint.index(bytes, file: "fuzz.pth") {
        for tensor in tensors.values where tensor.dims.reduce(1, *) <= 1_000_000 { _ = try? tensor.load() }
    }
    let unpickler = Unpickler(bytes)
    _ = try? unpickler.load()
    return 0
}

/// The entry point SwiftPM links as `main`: libFuzzer's driver, with its usual flags.
@_cdecl("fuzz_torch_main")
public func fuzzTorchMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var (count, arguments) = (argc, argv)
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzzTorch($0, $1) }
}
