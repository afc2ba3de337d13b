import ArchcIO
import ArchcImage
import Foundation

/// Data sets as users have them on disk, turned into a sorted list of samples:
/// - ImageFolder: `ROOT/<class>/<image>`, class folders named by WordNet ID (`n01440764`)
///   or by class index (`0`..`999`); files at the root are not classes and are ignored.
/// - a manifest: a `path,label` CSV (paths relative to the manifest; label a class index or
///   a WordNet ID; an optional `path,label` header line);
/// - ImageNet-C: `ROOT/<corruption>/<severity 1-5>/<class>/<image>`.
/// Every regular, non-hidden file inside a class folder is a sample: one that does not
/// decode is an error later (or a counted skip), never silently dropped.
public struct EvalDataset: Sendable {
    public var samples: [EvalSample]
    /// The class folder names (or manifest labels) as written, for class-subset detection.
    public var classNames: Set<String>

    public static let maxManifestBytes = 1 << 30
    /// PATH_MAX (4096) and room for a label.
    public static let maxManifestLineBytes = 4096 + 64

    /// `--data`: a folder (ImageFolder) or a `.csv` manifest.
    public static func load(_ path: String, set: String) throws -> EvalDataset {
        if path.lowercased().hasSuffix(".csv") { return try manifest(path, set: set) }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw IOError(path, "not a folder or a .csv file: expected an ImageFolder tree (ROOT/<class>/<image>) or a path,label manifest named *.csv")
        }
        return try imageFolder(path, key: EvalKey(set: set))
    }

    public static func imageFolder(_ root: String, key: EvalKey) throws -> EvalDataset {
        var samples: [EvalSample] = []
        var names: Set<String> = []
        for folder in try entries(root, directories: true) {
            let label = try classIndex(folder, file: (root as NSString).appendingPathComponent(folder))
            names.insert(folder)
            let classPath = (root as NSString).appendingPathComponent(folder)
            for file in try entries(classPath, directories: false) {
                samples.append(EvalSample(path: (classPath as NSString).appendingPathComponent(file), label: label, key: key))
            }
        }
        guard !samples.isEmpty else { throw IOError(root, "no images found (expected ROOT/<class>/<image>, class folders named by WordNet ID or class index)") }
        return EvalDataset(samples: samples.sorted { $0.path < $1.path }, classNames: names)
    }

    /// `ROOT/<corruption>/<severity>/<class>/*`, all corruptions and severities found.
    public static func imagenetC(_ root: String) throws -> EvalDataset {
        var all: [EvalSample] = []
        var names: Set<String> = []
        for corruption in try entries(root, directories: true) {
            let corruptionPath = (root as NSString).appendingPathComponent(corruption)
            // Any other folder would be scored and reported as a corruption of that name.
            guard Corruption(rawValue: corruption) != nil else {
                let names = Corruption.allCases.map(\.rawValue)
                throw IOError(
                    corruptionPath,
                    "not an ImageNet-C corruption; expected folders named \(names[0]), \(names[1]), ..., \(names.last!) (\(names.count) names, archc corrupt --help)"
                )
            }
            for level in try entries(corruptionPath, directories: true) {
                let levelPath = (corruptionPath as NSString).appendingPathComponent(level)
                guard let severity = Int(level), (1...5).contains(severity) else {
                    throw IOError(levelPath, "expected severity folders 1 to 5 inside a corruption folder, found '\(level)'")
                }
                let part = try imageFolder(levelPath, key: EvalKey(set: "imagenet-c", corruption: corruption, severity: severity))
                all += part.samples
                names.formUnion(part.classNames)
            }
        }
        guard !all.isEmpty else { throw IOError(root, "no images found (expected ROOT/<corruption>/<severity>/<class>/<image>)") }
        return EvalDataset(samples: all.sorted { $0.path < $1.path }, classNames: names)
    }

    public static func manifest(_ path: String, set: String) throws -> EvalDataset {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = attributes?[.size] as? Int, let data = FileManager.default.contents(atPath: path) else { throw IOError(path, "cannot read file") }
        guard size <= maxManifestBytes else { throw IOError(path, "manifest of \(size) bytes exceeds the limit of \(maxManifestBytes)") }
        let base = (path as NSString).deletingLastPathComponent
        var samples: [EvalSample] = []
        var names: Set<String> = []
        // Decoding replaced bytes that are not UTF-8 (a Latin-1 "café.jpg"), and the image was
        // then "no such file": the first such line is named instead.
        guard var text = String(validating: data, as: UTF8.self) else {
            let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            let line = (lines.firstIndex { String(validating: $0, as: UTF8.self) == nil } ?? 0) + 1
            throw IOError("\(path):\(line)", "not UTF-8 text: a manifest's file names must be UTF-8 (save it as UTF-8)")
        }
        // Excel's "CSV UTF-8" starts with a BOM. Lines end at "\n" alone, as editors and grep
        // count them: Windows' "\r\n" (one Character in Swift, which splitting on "\n" never
        // matched) and Python's "\r\r\n" leave "\r"s that are trimmed; a form feed, vertical tab
        // or U+2028 (Character.isNewline) shifted every later line number and cut a name in two.
        // A file without "\n" ends its lines with "\r" alone (classic Mac OS, Excel for Mac's
        // "CSV (Macintosh)").
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let end: Unicode.Scalar = text.unicodeScalars.contains("\n") ? "\n" : "\r"
        for (number, scalars) in text.unicodeScalars.split(separator: end, omittingEmptySubsequences: false).enumerated() {
            let line = String(String.UnicodeScalarView(scalars)).trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || (number == 0 && line.lowercased() == "path,label") { continue }
            // No path is longer than PATH_MAX; a longer line (a file of another format read as
            // one line) was echoed whole in the error: 41.6 MB of message for a 40 MB file.
            guard line.utf8.count <= maxManifestLineBytes else {
                throw IOError("\(path):\(number + 1)", "a line of \(line.utf8.count) bytes, over the \(maxManifestLineBytes)-byte limit of a path,label line")
            }
            // The label is after the last comma: paths may hold commas, labels never do.
            guard let comma = line.lastIndex(of: ","), comma != line.startIndex else {
                throw IOError("\(path):\(number + 1)", "expected 'path,label', found '\(line)'")
            }
            let file = String(line[..<comma]).trimmingCharacters(in: .whitespaces)
            let labelText = String(line[line.index(after: comma)...]).trimmingCharacters(in: .whitespaces)
            let label = try classIndex(labelText, file: "\(path):\(number + 1)")
            names.insert(labelText)
            let resolved = file.hasPrefix("/") ? file : (base as NSString).appendingPathComponent(file)
            samples.append(EvalSample(path: resolved, label: label, key: EvalKey(set: set), listedAt: "\(path):\(number + 1)"))
        }
        guard !samples.isEmpty else { throw IOError(path, "manifest lists no images") }
        return EvalDataset(samples: samples.sorted { $0.path < $1.path }, classNames: names)
    }

    /// A class folder or label: a WordNet ID of ImageNet-1k, or a class index.
    static func classIndex(_ name: String, file: String) throws -> Int {
        if let index = wnidIndex[name] { return index }
        if !name.isEmpty, name.count <= 9, name.allSatisfy(\.isASCII), let index = Int(name), index >= 0 { return index }
        throw IOError(file, "unknown class '\(name)': expected an ImageNet-1k WordNet ID such as n01440764 or a class index")
    }

    static let wnidIndex: [String: Int] = Dictionary(uniqueKeysWithValues: ImageNetSynsets.wnids.enumerated().map { ($1, $0) })

    /// Sorted non-hidden entries of a folder: its subfolders, or its regular files.
    static func entries(_ path: String, directories: Bool) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw IOError(path, FileManager.default.fileExists(atPath: path) ? "not a folder" : "no such folder")
        }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { throw IOError(path, "cannot list folder") }
        return names.filter { name in
            guard !name.hasPrefix(".") else { return false }
            var sub: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(name), isDirectory: &sub)
            return exists && sub.boolValue == directories
        }.sorted()
    }
}
