import ArchcIO

/// One image to evaluate: its file, its class index, the data set it belongs to and, for a
/// corrupted set, the corruption and severity it was (or is to be) corrupted with.
public struct EvalSample: Sendable, Equatable {
    public var path: String
    public var label: Int
    public var key: EvalKey
    /// The manifest line that listed this image (`list.csv:12`), for errors about the image.
    public var listedAt: String?

    public init(path: String, label: Int, key: EvalKey, listedAt: String? = nil) {
        self.path = path
        self.label = label
        self.key = key
        self.listedAt = listedAt
    }

    /// An error about this image: its file, and the manifest line that listed it.
    public func error(_ message: String) -> IOError {
        IOError(path, listedAt.map { "\(message) (listed at \($0))" } ?? message)
    }
}

/// What a count belongs to: a data set (`imagenet`, `imagenet-c`, `imagenet-r`, `sketch`,
/// `stylized`), and for corrupted images the corruption and its severity (1-5).
public struct EvalKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var set: String
    public var corruption: String?
    public var severity: Int?

    public init(set: String, corruption: String? = nil, severity: Int? = nil) {
        self.set = set
        self.corruption = corruption
        self.severity = severity
    }

    public static func < (a: EvalKey, b: EvalKey) -> Bool {
        (a.set, a.corruption ?? "", a.severity ?? 0) < (b.set, b.corruption ?? "", b.severity ?? 0)
    }

    public var description: String {
        guard let corruption else { return set }
        return "\(set) \(corruption) \(severity.map(String.init) ?? "-")"
    }
}
