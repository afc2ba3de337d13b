import Foundation
/// The textual form of a graph, printed by `archc compile --emit ir` and read back by
/// `IRParser` (pass tests are written in it):
///
///     graph @"tiny"(%0: [N, 3, 32, 32]) -> %7 {
///       %1 = conv2d(%0) [@"stem.weight", @"stem.bias"] {stride = [4, 4], padding = [0, 0, 0, 0], dilation = [1, 1], groups = 1} : [N, 8, 8, 8] loc("stem" at "specs/tiny.yaml":6:5)
///       ...
///     }
///     const @"stem.weight" : [8, 3, 4, 4]
extension Graph {
    public var text: String {
        var lines = ["graph @\(quoted(name))(%\(Graph.inputID): \(inputType)) -> %\(output) {"]
        for node in nodes { lines.append("  " + Self.line(node)) }
        lines.append("}")
        for name in constants.keys.sorted() { lines.append("const @\(quoted(name)) : \(intList(constants[name]!.dims))") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func line(_ node: Node) -> String {
        var text = "%\(node.id) = \(node.kind.mnemonic)(" + node.inputs.map { "%\($0)" }.joined(separator: ", ") + ")"
        if !node.weights.isEmpty { text += " [" + node.weights.map { "@" + quoted($0) }.joined(separator: ", ") + "]" }
        let attrs = attributes(node.kind)
        if !attrs.isEmpty { text += " {" + attrs.map { "\($0.0) = \($0.1)" }.joined(separator: ", ") + "}" }
        text += " : \(node.type)"
        if let at = node.location {
            text += " loc(\(quoted(node.name)) at \(quoted(at.file)):\(at.line):\(at.column))"
        } else {
            text += " loc(\(quoted(node.name)))"
        }
        return text
    }

    static func attributes(_ kind: OpKind) -> [(String, String)] {
        switch kind {
        case .conv2d(let a, let e):
            let attrs = [("stride", intList(a.stride)), ("padding", intList(a.padding)), ("dilation", intList(a.dilation)), ("groups", "\(a.groups)")]
            return attrs + epilogueAttributes(e)
        case .linear(let e):
            return epilogueAttributes(e)
        case .attention(let heads):
            return [("heads", "\(heads)")]
        case .selectToken(let index):
            return [("index", "\(index)")]
        case .batchNorm(let eps, let affine), .layerNorm(let eps, let affine):
            return [("eps", "\(eps)"), ("affine", "\(affine)")]
        case .maxPool(let p), .avgPool(let p):
            return [("kernel", "\(p.kernel)"), ("stride", "\(p.stride)"), ("padding", "\(p.padding)")]
        default:
            return []
        }
    }

    static func epilogueAttributes(_ e: Epilogue) -> [(String, String)] {
        var attrs: [(String, String)] = []
        if let act = e.activation { attrs.append(("act", act.rawValue)) }
        if e.residual { attrs.append(("residual", "true")) }
        if let post = e.postActivation { attrs.append(("post_act", post.rawValue)) }
        return attrs
    }
}

/// `[1, 2, 3]`, as an array of Ints prints, without the generic `description` (its dynamic
/// casts were a sixth of `--emit swift`'s time on a 180,000-layer graph).
public func intList(_ values: [Int]) -> String {
    "[" + values.map(String.init).joined(separator: ", ") + "]"
}

/// A string in double quotes with `\`, `"` and newlines escaped. Names rarely hold any of
/// them: those are returned without Foundation's three searches, which were a third of
/// `--emit swift`'s time on a 180,000-layer graph (it prints every node's name and file twice).
func quoted(_ text: String) -> String {
    guard text.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else {
        return "\"" + text + "\""
    }
    return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
        + "\""
}
