import ArchcSpec
import Foundation
import CFuzzerDriver

/// libFuzzer entry: any bytes as a spec file, loaded, elaborated and costed. The file is
/// written to a private folder, so `import:` and `extends:` of relative names find nothing.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSpec(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let path = FuzzFolder.path + "/spec.yaml"
    FileManager.default.createFile(atPath: path, contents: data.map { Data(bytes: $0, count: size) } ?? Data())
    _ = Compiler.compile(path: path)
    return 0
}

enum FuzzFolder {
    static let path: String = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("archc-fuzz-spec-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }()
}

/// The entry point SwiftPM links as `main`: libFuzzer's driver, with its usual flags.
@_cdecl("fuzz_spec_main")
public func fuzzSpecMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var (count, arguments) = (argc, argv)
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzzSpec($0, $1) }
}
