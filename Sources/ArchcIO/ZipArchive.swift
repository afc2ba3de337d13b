/// The part of the ZIP format `torch.save` writes: stored (uncompressed) entries found
/// through the central directory, ZIP64 included. Compressed entries are refused with a
/// clear error; every offset, size and count read from the archive is checked against the
/// file before use, and a name that appears twice is an error (which copy to use would
/// depend on the reader).
struct ZipArchive {
    struct Entry {
        var name: String
        var dataOffset: Int
        var size: Int
        var method: Int
    }

    static let localSignature = 0x0403_4B50
    static let centralSignature = 0x0201_4B50
    static let endSignature = 0x0605_4B50
    static let zip64EndSignature = 0x0606_4B50
    static let zip64LocatorSignature = 0x0706_4B50

    let bytes: [UInt8]
    private(set) var entries: [String: Entry] = [:]

    /// Does the file start with a local-file header and hold an end-of-central-directory record?
    static func looksLikeZip(_ bytes: [UInt8]) -> Bool {
        let view = LittleEndianBytes(bytes: bytes, file: "")
        return (try? view.u32(0)) == localSignature && (try? endOfDirectory(view)) != nil
    }

    /// A file that starts with a local-file header but has no end-of-central-directory
    /// record is a zip archive cut short (an interrupted download or copy): the error says so.
    static func truncation(_ bytes: [UInt8], file: String) -> IOError? {
        guard bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]), !looksLikeZip(bytes) else { return nil }
        return IOError(
            file, "truncated zip archive: it starts like a torch.save zip but has no end-of-central-directory record; the file ends at byte \(bytes.count)")
    }

    init(_ bytes: [UInt8], file: String) throws {
        self.bytes = bytes
        let view = LittleEndianBytes(bytes: bytes, file: file)
        let eocd = try Self.endOfDirectory(view)
        var (count, at) = (try view.u16(eocd + 10), try view.u32(eocd + 16))
        // ZIP64: torch writes it for large archives; the locator sits 20 bytes before.
        if count == 0xFFFF || at == 0xFFFF_FFFF, eocd >= 20, try view.u32(eocd - 20) == Self.zip64LocatorSignature {
            let record = try view.u64(eocd - 20 + 8)
            guard view.contains(record, length: 56), try view.u32(record) == Self.zip64EndSignature else {
                throw IOError(file, "bad ZIP64 end record at byte \(record)")
            }
            (count, at) = (try view.u64(record + 32), try view.u64(record + 48))
        }
        // Each central entry takes at least 46 bytes: a larger count is a lie, refused before looping.
        guard count <= bytes.count / 46, count <= ReaderLimits.tensorCount * 2 + 16 else {
            throw IOError(file, "zip archive claims \(count) entries, more than its \(bytes.count) bytes can hold")
        }
        for _ in 0..<count {
            let entry = try Self.centralEntry(view, at: at)
            guard entries[entry.entry.name] == nil else { throw IOError(file, "zip archive holds '\(entry.entry.name)' twice (second at byte \(at))") }
            entries[entry.entry.name] = entry.entry
            at = entry.next
        }
    }

    /// The offset of the end-of-central-directory record, searched in the last 64 KiB.
    private static func endOfDirectory(_ view: LittleEndianBytes) throws -> Int {
        guard view.count >= 22 else { throw IOError(view.file, "truncated zip archive (\(view.count) bytes)") }
        for at in stride(from: view.count - 22, through: max(0, view.count - 65_557), by: -1) where try view.u32(at) == endSignature {
            return at
        }
        throw IOError(view.file, "zip archive has no end-of-central-directory record")
    }

    /// The central-directory entry at `at`, its data located through its local header.
    private static func centralEntry(_ view: LittleEndianBytes, at: Int) throws -> (entry: Entry, next: Int) {
        guard view.contains(at, length: 46), try view.u32(at) == centralSignature else {
            throw IOError(view.file, "bad zip central directory entry at byte \(at)")
        }
        let method = try view.u16(at + 10)
        var size = try view.u32(at + 20)
        let nameLength = try view.u16(at + 28), extraLength = try view.u16(at + 30), commentLength = try view.u16(at + 32)
        var local = try view.u32(at + 42)
        guard view.contains(at + 46, length: nameLength + extraLength) else {
            throw IOError(view.file, "zip entry name runs past the end at byte \(at)")
        }
        let name = String(decoding: view.bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
        // ZIP64 extra field (id 1): 64-bit sizes and offset, present only for fields saturated at 0xFFFFFFFF.
        var extra = at + 46 + nameLength
        let extraEnd = extra + extraLength
        while extra + 4 <= extraEnd {
            let id = try view.u16(extra), length = try view.u16(extra + 2)
            let fieldEnd = extra + 4 + length
            guard fieldEnd <= extraEnd else { throw IOError(view.file, "zip extra field of '\(name)' runs past its entry at byte \(extra)") }
            if id == 1 {
                var field = extra + 4
                func next() throws -> Int {
                    guard field + 8 <= fieldEnd else { throw IOError(view.file, "ZIP64 field of '\(name)' too short at byte \(extra)") }
                    defer { field += 8 }
                    return try view.u64(field)
                }
                // In order: uncompressed size, compressed size, local header offset.
                if try view.u32(at + 24) == 0xFFFF_FFFF { _ = try next() }
                if size == 0xFFFF_FFFF { size = try next() }
                if local == 0xFFFF_FFFF { local = try next() }
            }
            extra = fieldEnd
        }
        guard view.contains(local, length: 30), try view.u32(local) == localSignature else {
            throw IOError(view.file, "bad zip local header for '\(name)' at byte \(local)")
        }
        let dataOffset = try view.sum(local, 30, try view.u16(local + 26), try view.u16(local + 28))
        guard view.contains(dataOffset, length: size) else {
            throw IOError(view.file, "zip entry '\(name)' claims \(size) bytes at byte \(dataOffset), past the end of the file (\(view.count) bytes)")
        }
        let entry = Entry(name: name, dataOffset: dataOffset, size: size, method: method)
        return (entry, try view.sum(at, 46, nameLength, extraLength, commentLength))
    }

    /// The bytes of a stored entry.
    func data(_ name: String, file: String) throws -> ArraySlice<UInt8> {
        guard let entry = entries[name] else { throw IOError(file, "zip archive has no entry '\(name)'") }
        guard entry.method == 0 else { throw IOError(file, "zip entry '\(name)' is compressed (method \(entry.method)); torch.save writes stored entries") }
        return bytes[entry.dataOffset..<(entry.dataOffset + entry.size)]
    }
}
