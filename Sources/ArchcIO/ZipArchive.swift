/// The part of the ZIP format `torch.save` writes: stored (uncompressed) entries found
/// through the central directory. Compressed entries are refused with a clear error.
struct ZipArchive {
    struct Entry {
        var name: String
        var dataOffset: Int
        var size: Int
        var method: Int
    }

    let bytes: [UInt8]
    private(set) var entries: [String: Entry] = [:]

    init(_ bytes: [UInt8], file: String) throws {
        self.bytes = bytes
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        func u64(_ at: Int) -> Int { u32(at) | u32(at + 4) << 32 }
        // End of central directory: signature 0x06054b50 within the last 64 KiB.
        guard bytes.count >= 22 else { throw IOError(file, "truncated zip archive (\(bytes.count) bytes)") }
        var eocd = -1
        for at in stride(from: bytes.count - 22, through: max(0, bytes.count - 65_557), by: -1) where u32(at) == 0x0605_4B50 {
            eocd = at
            break
        }
        guard eocd >= 0 else { throw IOError(file, "zip archive has no end-of-central-directory record") }
        var count = u16(eocd + 10), directory = u32(eocd + 16)
        // ZIP64: torch writes it for large archives; the locator sits 20 bytes before.
        if (count == 0xFFFF || directory == 0xFFFF_FFFF), eocd >= 20, u32(eocd - 20) == 0x0706_4B50 {
            let record = u64(eocd - 20 + 8)
            guard record >= 0, record + 56 <= bytes.count, u32(record) == 0x0606_4B50 else { throw IOError(file, "bad ZIP64 record at byte \(record)") }
            count = u64(record + 32)
            directory = u64(record + 48)
        }
        var at = directory
        for _ in 0..<count {
            guard at >= 0, at + 46 <= bytes.count, u32(at) == 0x0201_4B50 else { throw IOError(file, "bad zip central directory entry at byte \(at)") }
            let method = u16(at + 10)
            var size = u32(at + 20)
            let nameLength = u16(at + 28), extraLength = u16(at + 30), commentLength = u16(at + 32)
            var local = u32(at + 42)
            guard at + 46 + nameLength + extraLength <= bytes.count else { throw IOError(file, "zip entry name runs past the end at byte \(at)") }
            let name = String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            // ZIP64 extra field: 64-bit sizes and offset for entries past 4 GiB.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = u16(extra), length = u16(extra + 2)
                if id == 1 {
                    var field = extra + 4
                    if u32(at + 24) == 0xFFFF_FFFF { field += 8 }
                    if size == 0xFFFF_FFFF { size = u64(field); field += 8 }
                    if local == 0xFFFF_FFFF { local = u64(field) }
                }
                extra += 4 + length
            }
            guard local >= 0, local + 30 <= bytes.count, u32(local) == 0x0403_4B50 else {
                throw IOError(file, "bad zip local header for '\(name)' at byte \(local)")
            }
            let dataOffset = local + 30 + u16(local + 26) + u16(local + 28)
            guard size >= 0, dataOffset + size <= bytes.count else {
                throw IOError(file, "zip entry '\(name)' claims \(size) bytes at byte \(dataOffset), past the end of the file (\(bytes.count) bytes)")
            }
            entries[name] = Entry(name: name, dataOffset: dataOffset, size: size, method: method)
            at += 46 + nameLength + extraLength + commentLength
        }
    }

    /// The bytes of a stored entry.
    func data(_ name: String, file: String) throws -> ArraySlice<UInt8> {
        guard let entry = entries[name] else { throw IOError(file, "zip archive has no entry '\(name)'") }
        guard entry.method == 0 else { throw IOError(file, "zip entry '\(name)' is compressed (method \(entry.method)); torch.save writes stored entries") }
        return bytes[entry.dataOffset..<(entry.dataOffset + entry.size)]
    }
}
