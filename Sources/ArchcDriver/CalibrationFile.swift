import ArchcIO
import ArchcIR
import ArchcRuntime
import Foundation

/// `archc calibrate`'s output: the activation ranges of one model as JSON,
///
///     {"archc_calibration": 1, "model": "efficientnet-lite0", "graph": "974c59cce0cac9fa", "method": "min-max",
///      "images": 16, "ranges": {"input": [-2.12, 2.64], "blocks.0.0.conv_pw": [0, 6], ...}}
///
/// written whole or not at all, and read back with every problem located in the file.
public enum CalibrationFile {
    public static let version = 1
    /// How the ranges were found: the smallest and largest value seen over all images.
    public static let method = "min-max"
    /// Larger files are refused before they are read (a model's ranges take a few KB).
    public static let maxBytes = 16 << 20

    /// What a calibration belongs to besides the model's name: the `--set` overrides (which
    /// can change the preprocessing, and so every range, without changing the graph) and the
    /// weights. A file that records them is refused by a run whose own differ; files written
    /// before they were recorded are read as before.
    public struct Run: Equatable {
        public var overrides: [String]
        /// "seeded (seed S, init STYLE)", or the checkpoint's size and FNV-1a digest.
        public var weights: String

        public init(overrides: [String], weights: String) {
            self.overrides = overrides
            self.weights = weights
        }

        /// The run of `archc calibrate` or `archc run` with these options.
        public static func of(overrides: [String], weightsFile: String?, seed: UInt64, initStyle: String) throws -> Run {
            guard let weightsFile else { return Run(overrides: overrides, weights: "seeded (seed \(seed), init \(initStyle))") }
            guard let handle = FileHandle(forReadingAtPath: weightsFile) else { throw IOError(weightsFile, "cannot read file") }
            defer { try? handle.close() }
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325, count = 0
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                count += chunk.count
                for byte in chunk {
                    hash ^= UInt64(byte)
                    hash = hash &* 0x0000_0100_0000_01B3
                }
            }
            let hex = String(hash, radix: 16)
            return Run(overrides: overrides, weights: "checkpoint of \(count) bytes, fnv1a \(String(repeating: "0", count: 16 - hex.count) + hex)")
        }
    }

    /// The JSON text for `ranges` of `model`, names sorted; with `graph`, the hash of the
    /// optimized graph they were measured on (`graphHash`), which `read` checks.
    public static func text(_ ranges: ActivationRanges, model: String, run: Run? = nil, graph: Graph? = nil) -> String {
        let entries = ranges.ranges.keys.sorted().map { name -> String in
            let range = ranges.ranges[name]!
            return "    \(quoted(name)): [\(range.lowerBound), \(range.upperBound)]"
        }
        return """
            {
              "archc_calibration": \(version),
              "model": \(quoted(model)),\(graph.map { "\n  \"graph\": \"\(graphHash($0))\"," } ?? "")\(run.map { "\n  \"overrides\": [\($0.overrides.map(quoted).joined(separator: ", "))],\n  \"weights\": \(quoted($0.weights))," } ?? "")
              "method": "\(method)",
              "images": \(ranges.images),
              "ranges": {
            \(entries.joined(separator: ",\n"))
              }
            }

            """
    }

    public static func write(_ ranges: ActivationRanges, model: String, run: Run? = nil, graph: Graph? = nil, to path: String) throws {
        try AtomicFile.write(Data(text(ranges, model: model, run: run, graph: graph).utf8), to: path)
    }

    /// Reads a calibration file for `graph` (model `model`): every value the graph's int8
    /// layers read must have a finite range. Errors are `IOError`s naming the file and, where
    /// one applies, the line and column.
    public static func read(_ path: String, model: String, graph: Graph, run: Run? = nil) throws -> ActivationRanges {
        let data = try contents(path)
        let text = String(decoding: data, as: UTF8.self)
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw IOError(path, "not valid JSON (\(reason(error)))")
        }
        guard let root = object as? [String: Any], let v = root["archc_calibration"] as? Int else {
            throw IOError(path, "not an archc calibration file: expected an object with \"archc_calibration\": \(version)")
        }
        guard v == version else { throw located(path, text, "archc_calibration", "unsupported calibration version \(v), expected \(version)") }
        if let name = root["model"] as? String, name != model {
            throw located(path, text, "model", "calibrated for model '\(name)', not '\(model)'; run archc calibrate for this spec")
        }
        // Ranges are found by value name: a spec edited since (another kernel size, width or
        // block) keeps most names, and its int8 layers ran with the old graph's ranges.
        // A "graph" that is not a string was skipped, and with it the check.
        if root["graph"] != nil, !(root["graph"] is String) { throw located(path, text, "graph", "\"graph\" must be a hash string") }
        if let recorded = root["graph"] as? String, case let current = graphHash(graph), recorded != current {
            throw located(
                path, text, "graph",
                "calibrated on another graph (hash \(recorded); this spec and its --set give \(current)): the spec changed since; run archc calibrate again")
        }
        if let run, let overrides = root["overrides"] as? [String], overrides != run.overrides {
            let shown = { (list: [String]) in list.isEmpty ? "no --set" : list.map { "--set \($0)" }.joined(separator: " ") }
            throw located(
                path, text, "overrides",
                "calibrated with \(shown(overrides)), this run has \(shown(run.overrides)); run archc calibrate with this run's options")
        }
        if let run, let weights = root["weights"] as? String, weights != run.weights {
            throw located(path, text, "weights", "calibrated with weights \(weights), this run has \(run.weights); run archc calibrate with this run's weights")
        }
        guard let table = root["ranges"] as? [String: Any] else { throw IOError(path, "no \"ranges\" object") }
        var ranges = ActivationRanges(images: root["images"] as? Int ?? 0)
        for (name, value) in table {
            guard let pair = value as? [NSNumber], pair.count == 2 else {
                throw located(path, text, name, "range of '\(name)' must be [min, max], found \(value)")
            }
            // As written (a double): 1e308 is finite there but not as a float32.
            let (lo, hi) = (pair[0].doubleValue, pair[1].doubleValue)
            let limit = Double(Float.greatestFiniteMagnitude)
            guard lo.isFinite, hi.isFinite, lo <= hi, abs(lo) <= limit, abs(hi) <= limit else {
                throw located(path, text, name, "range of '\(name)' must be float32 numbers with min <= max, found [\(lo), \(hi)]")
            }
            ranges.ranges[name] = Float(lo)...Float(hi)
        }
        for name in ActivationRanges.needed(by: graph) where ranges.ranges[name] == nil {
            throw IOError(path, "no range for '\(name)', which an int8 layer reads; run archc calibrate for this spec")
        }
        return ranges
    }

    /// The file's bytes through the project's reader, which refuses a FIFO, a device or a
    /// directory before reading (a FIFO with no writer blocked `run` forever) and anything
    /// larger than `maxBytes`.
    private static func contents(_ path: String) throws -> Data {
        Data(try FileReader.read(path, limit: maxBytes, kind: "calibration file"))
    }

    /// `file:line:col: error: message` at the first occurrence of the quoted key `key`.
    private static func located(_ path: String, _ text: String, _ key: String, _ message: String) -> IOError {
        guard let range = text.range(of: quoted(key)) else { return IOError(path, message) }
        // Counted in Unicode scalars: "\r\n" is one Character, which a count of "\n"
        // Characters never met (a Windows file put every error on line 1).
        let before = text.unicodeScalars[..<range.lowerBound]
        let line = before.reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
        let lineStart = before.lastIndex(of: "\n").map { before.index(after: $0) } ?? before.startIndex
        let column = before.distance(from: lineStart, to: before.endIndex) + 1
        return IOError("\(path):\(line):\(column)", message)
    }

    /// What JSONSerialization says is wrong, without its framing.
    private static func reason(_ error: Error) -> String {
        let info = (error as NSError).userInfo
        let text = (info[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
        return text.hasSuffix(".") ? String(text.dropLast()) : text
    }

    private static func quoted(_ s: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed])
        return data.map { String(decoding: $0.dropFirst().dropLast(), as: UTF8.self) } ?? "\"\(s)\""
    }
}
