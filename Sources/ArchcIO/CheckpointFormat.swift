/// Which reader a checkpoint needs, decided by the file's structure, never by its name or
/// a single leading byte: a safetensors header length may begin with 0x80 or 0x50 (one
/// file in 256 each), which are also how a pickle and a zip archive begin.
public enum CheckpointFormat: String, CaseIterable, Sendable {
    /// 8-byte little-endian header length that fits the file, then `{`.
    case safetensors
    /// `torch.save` since PyTorch 1.6: a local-file signature and an end-of-central-directory record.
    case torchZip = "torch.save zip"
    /// `torch.save` before 1.6: a pickled magic number.
    case torchLegacy = "legacy torch.save"

    /// The format whose structure the bytes have, if any.
    public static func detect(_ bytes: [UInt8]) -> CheckpointFormat? {
        if ZipArchive.looksLikeZip(bytes) { return .torchZip }
        if TorchCheckpoint.looksLikeLegacy(bytes) { return .torchLegacy }
        if Safetensors.looksLikeSafetensors(bytes) { return .safetensors }
        return nil
    }

    /// Every tensor of a checkpoint in any supported format, values read on `load()`.
    public static func index(_ bytes: [UInt8], file: String) throws -> [String: CheckpointTensor] {
        switch detect(bytes) {
        case .safetensors: return try Safetensors.index(bytes, file: file)
        case .torchZip, .torchLegacy: return try TorchCheckpoint.index(bytes, file: file)
        case nil:
            throw IOError(
                file, "not a checkpoint: neither safetensors (header length, then '{' at byte 8), a torch.save zip archive, nor a legacy torch.save pickle")
        }
    }

    /// Reads the regular file at `path` (within `ReaderLimits.weightFileBytes`) and indexes it.
    public static func read(_ path: String) throws -> [String: CheckpointTensor] {
        try index(try FileReader.read(path, limit: ReaderLimits.weightFileBytes, kind: "checkpoint"), file: path)
    }
}
