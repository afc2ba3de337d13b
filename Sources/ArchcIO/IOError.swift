/// Why a tensor file cannot be used, naming the file and the tensor or byte offset.
public struct IOError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var message: String

    public init(_ file: String, _ message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): error: \(message)" }
}
