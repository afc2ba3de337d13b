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

    /// Every tensor of a checkpoint in any supported format, values read on `load()`: from
    /// `bytes`, or from `reread` (the file `bytes` came from) when given, so that `bytes`
    /// can be released once indexed.
    public static func index(_ bytes: [UInt8], file: String, reread: RandomAccessFile? = nil) throws -> [String: CheckpointTensor] {
        switch detect(bytes) {
        case .safetensors: return try reread.map { try Safetensors.index($0, file: file) } ?? Safetensors.index(bytes, file: file)
        case .torchZip, .torchLegacy: return try TorchCheckpoint.index(bytes, file: file, reread: reread)
        case nil:
            if let truncated = ZipArchive.truncation(bytes, file: file) { throw truncated }
            throw IOError(
                file, "not a checkpoint: neither safetensors (header length, then '{' at byte 8), a torch.save zip archive, nor a legacy torch.save pickle")
        }
    }

    /// Indexes the regular file at `path` (within `ReaderLimits.weightFileBytes`); each
    /// tensor's bytes are read from the file when it is loaded, so the whole file is never
    /// held beside the weights made from it. A safetensors file is indexed from its header
    /// alone; a torch.save file is read whole to unpickle it, then released.
    public static func read(_ path: String) throws -> [String: CheckpointTensor] {
        let file = try RandomAccessFile(path, limit: ReaderLimits.weightFileBytes, kind: "checkpoint")
        let head = try file.bytes(0..<min(file.count, 64), what: "checkpoint")
        // A zip or legacy pickle start is decided on the whole file, as `detect` does; a valid
        // safetensors header length can start with neither (0x04034B50 is over its limit).
        let torch = head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || TorchCheckpoint.looksLikeLegacy(head)
        if !torch, Safetensors.looksLikeSafetensors(head: head, size: file.count) { return try Safetensors.index(file, file: path) }
        return try index(try file.readAll(), file: path, reread: file)
    }
}
