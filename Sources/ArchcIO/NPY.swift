import ArchcIR
import Foundation

/// NumPy's `.npy` format (version 1-3) for float32 tensors: inputs (N, C, H, W) and outputs.
public enum NPY {
    public static func read(_ path: String) throws -> Tensor {
        try decode(try FileReader.read(path, limit: ReaderLimits.npyFileBytes, kind: ".npy file"), file: path)
    }

    public static func decode(_ bytes: [UInt8], file: String) throws -> Tensor {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard !bytes.isEmpty else { throw IOError(file, "empty file (0 bytes), not a .npy file") }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw IOError(file, "not a .npy file (bad magic at byte 0)") }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1: headerLength = Int(bytes[8]) | Int(bytes[9]) << 8; headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw IOError(file, "truncated header at byte 8") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default: throw IOError(file, "unsupported .npy version \(major)")
        }
        guard headerStart + headerLength <= bytes.count else {
            throw IOError(file, "header claims \(headerLength) bytes but the file ends at byte \(bytes.count)")
        }
        let header = String(decoding: bytes[headerStart..<headerStart + headerLength], as: UTF8.self)
        // numpy keeps the last of a repeated key, a reader taking the first would disagree on the data.
        for key in ["descr", "fortran_order", "shape"] where header.components(separatedBy: "'\(key)':").count > 2 {
            throw IOError(file, "header gives '\(key)' twice")
        }
        guard let descr = field("descr", in: header) else { throw IOError(file, "header has no 'descr'") }
        guard descr == "'<f4'" || descr == "'f4'" || descr == "'=f4'" else {
            throw IOError(file, "expected float32 data ('<f4'), found \(descr); convert with array.astype(numpy.float32)")
        }
        guard field("fortran_order", in: header) == "False" else { throw IOError(file, "Fortran-ordered arrays are not supported") }
        guard let shapeText = field("shape", in: header) else { throw IOError(file, "header has no 'shape'") }
        guard !shapeText.dropFirst().contains("(") else {
            throw IOError(file, "cannot read shape \(shapeText.count > 64 ? shapeText.prefix(64) + "..." : shapeText): nested parentheses")
        }
        let dims = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "()")).split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { Int($0) }
        guard dims.allSatisfy({ $0 != nil && $0! >= 0 }) else { throw IOError(file, "cannot read shape \(shapeText)") }
        let shape = dims.map { $0! }
        guard shape.count <= ReaderLimits.rank, let count = CheckpointTensor.count(shape) else {
            throw IOError(file, "shape \(shape) is too large (at most \(ReaderLimits.rank) dimensions and \(ReaderLimits.tensorElements) elements)")
        }
        let dataStart = headerStart + headerLength
        guard bytes.count - dataStart == count * 4 else {
            throw IOError(file, "shape \(shape) needs \(count * 4) bytes of data after byte \(dataStart), found \(bytes.count - dataStart)")
        }
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBytes { $0.copyBytes(from: bytes[dataStart...]) }
        return Tensor(dims: shape, data: values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) })
    }

    public static func encode(_ tensor: Tensor) -> Data {
        let shape = tensor.dims.count == 1 ? "(\(tensor.dims[0]),)" : "(" + tensor.dims.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        data.append(contentsOf: [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8))
        tensor.data.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    /// Writes whole or not at all.
    public static func write(_ tensor: Tensor, to path: String) throws {
        try AtomicFile.write(encode(tensor), to: path)
    }

    /// The text of `'key': value` in a .npy header dict.
    static func field(_ key: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(key)':") else { return nil }
        var rest = header[range.upperBound...].drop { $0 == " " }
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...close])
        }
        rest = rest.prefix { $0 != "," && $0 != "}" }
        return rest.trimmingCharacters(in: .whitespaces)
    }
}
