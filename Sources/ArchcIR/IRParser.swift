import Foundation

/// Reads the textual IR back into a `Graph`. Constants get seeded random data so parsed
/// graphs can be executed and compared (pass tests do exactly that).
public struct IRParser {
    public struct Failure: Error, CustomStringConvertible {
        public var line: Int
        public var column: Int
        public var message: String
        public var description: String { "\(line):\(column): \(message)" }
    }

    enum Token: Equatable {
        case value(Int)  // %12
        case symbol(String)  // @"name"
        case string(String)  // "text"
        case word(String)  // conv2d, stride, true, N
        case number(String)  // 3, -1, 1e-05
        case punct(String)  // ( ) [ ] { } = , : ->
    }

    private var tokens: [(Token, Int)] = []  // token and its column (1-based)
    private var position = 0
    private var lineNumber = 0

    /// Parses `text`; constants are filled from `seed` (uniform in [0.5, 1.5), positive so
    /// they make valid BatchNorm variances), or with zeros when `seed` is nil.
    public static func parse(_ text: String, seed: UInt64? = 1) -> Result<Graph, Failure> {
        var parser = IRParser()
        do {
            return .success(try parser.graph(text, seed: seed))
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure(line: parser.lineNumber, column: 1, message: "\(error)"))
        }
    }

    private mutating func graph(_ text: String, seed: UInt64?) throws -> Graph {
        var header: (String, TensorType, ValueID)?
        var nodes: [Node] = []
        var shapes: [String: [Int]] = [:]
        var closed = false
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            lineNumber = index + 1
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("//") { continue }
            tokens = try Self.tokenize(String(rawLine), line: lineNumber)
            position = 0
            if header == nil {
                header = try graphHeader()
            } else if !closed, line == "}" {
                closed = true
            } else if !closed {
                nodes.append(try node())
            } else {
                let (name, dims) = try constant()
                shapes[name] = dims
            }
        }
        guard let (name, inputType, output) = header else { throw Failure(line: 1, column: 1, message: "expected 'graph @\"name\"(%0: [N, ...]) -> %out {'") }
        guard closed else { throw Failure(line: lineNumber, column: 1, message: "missing '}' closing the graph") }
        var generator = SeededGenerator(seed: seed ?? 0)
        var constants: [String: Tensor] = [:]
        for key in shapes.keys.sorted() {
            let dims = shapes[key]!
            constants[key] = seed == nil ? Tensor(zeros: dims) : Tensor(dims: dims, data: generator.uniformArray(dims.reduce(1, *), 0.5, 1.5))
        }
        return Graph(name: name, inputType: inputType, nodes: nodes, output: output, constants: constants)
    }

    private mutating func graphHeader() throws -> (String, TensorType, ValueID) {
        try expect(.word("graph"))
        let name = try symbol()
        try expect(.punct("("))
        let input = try value()
        guard input == Graph.inputID else { throw failure("the graph input must be %0") }
        try expect(.punct(":"))
        let type = try tensorType()
        try expect(.punct(")"))
        try expect(.punct("->"))
        let output = try value()
        try expect(.punct("{"))
        return (name, type, output)
    }

    private mutating func node() throws -> Node {
        let id = try value()
        try expect(.punct("="))
        let mnemonicColumn = position < tokens.count ? tokens[position].1 : 1
        let mnemonic = try word()
        try expect(.punct("("))
        var inputs: [ValueID] = []
        while !peek(.punct(")")) {
            inputs.append(try value())
            if !peek(.punct(")")) { try expect(.punct(",")) }
        }
        try expect(.punct(")"))
        var weights: [String] = []
        if peek(.punct("[")) {
            position += 1
            while !peek(.punct("]")) {
                weights.append(try symbol())
                if !peek(.punct("]")) { try expect(.punct(",")) }
            }
            try expect(.punct("]"))
        }
        var attrs: [String: String] = [:]
        if peek(.punct("{")) {
            position += 1
            while !peek(.punct("}")) {
                let key = try word()
                try expect(.punct("="))
                attrs[key] = try attributeValue()
                if !peek(.punct("}")) { try expect(.punct(",")) }
            }
            try expect(.punct("}"))
        }
        try expect(.punct(":"))
        let type = try tensorType()
        var name = ""
        var location: SourceLocation?
        if peek(.word("loc")) {
            position += 1
            try expect(.punct("("))
            name = try string()
            if peek(.word("at")) {
                position += 1
                let file = try string()
                try expect(.punct(":"))
                let line = try integer()
                try expect(.punct(":"))
                location = SourceLocation(file: file, line: line, column: try integer())
            }
            try expect(.punct(")"))
        }
        guard position == tokens.count else { throw failure("unexpected text after the node") }
        let kind: OpKind
        do {
            kind = try opKind(mnemonic, attrs)
        } catch let failure as Failure {
            throw Failure(line: failure.line, column: mnemonicColumn, message: failure.message)
        }
        return Node(id: id, kind: kind, inputs: inputs, weights: weights, type: type, name: name, location: location)
    }

    private mutating func constant() throws -> (String, [Int]) {
        try expect(.word("const"))
        let name = try symbol()
        try expect(.punct(":"))
        let dims = try intList()
        guard position == tokens.count else { throw failure("unexpected text after the constant") }
        return (name, dims)
    }

    private func opKind(_ mnemonic: String, _ attrs: [String: String]) throws -> OpKind {
        func int(_ key: String) throws -> Int {
            guard let text = attrs[key], let value = Int(text) else { throw failure("\(mnemonic) needs an integer '\(key)'") }
            return value
        }
        func list(_ key: String) throws -> [Int] {
            guard let text = attrs[key] else { throw failure("\(mnemonic) needs '\(key)'") }
            let items = text.dropFirst().dropLast().split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard text.hasPrefix("["), items.allSatisfy({ $0 != nil }) else { throw failure("'\(key)' must be a list of integers") }
            return items.map { $0! }
        }
        func activation(_ key: String) throws -> Activation? {
            guard let text = attrs[key] else { return nil }
            guard let act = Activation(rawValue: text) else { throw failure("unknown activation '\(text)'") }
            return act
        }
        func norm() throws -> (Float, Bool) {
            guard let text = attrs["eps"], let eps = Float(text) else { throw failure("\(mnemonic) needs a float 'eps'") }
            return (eps, attrs["affine"] != "false")
        }
        func epilogue() throws -> Epilogue {
            Epilogue(activation: try activation("act"), residual: attrs["residual"] == "true", postActivation: try activation("post_act"))
        }
        switch mnemonic {
        case "conv2d":
            let attributes = ConvAttributes(stride: try list("stride"), padding: try list("padding"), dilation: try list("dilation"), groups: try int("groups"))
            return .conv2d(attributes, try epilogue())
        case "batchnorm": let (eps, affine) = try norm(); return .batchNorm(eps: eps, affine: affine)
        case "layernorm": let (eps, affine) = try norm(); return .layerNorm(eps: eps, affine: affine)
        case "scale_shift": return .scaleShift
        case "channel_scale": return .channelScale
        case "add": return .add
        case "maxpool": return .maxPool(PoolAttributes(kernel: try int("kernel"), stride: try int("stride"), padding: try int("padding")))
        case "avgpool": return .avgPool(PoolAttributes(kernel: try int("kernel"), stride: try int("stride"), padding: try int("padding")))
        case "global_avgpool": return .globalAvgPool
        case "flatten": return .flatten
        case "linear": return .linear(try epilogue())
        case "tokens": return .tokens
        case "prepend_token": return .prependToken
        case "add_constant": return .addConstant
        case "attention": return .attention(heads: try int("heads"))
        case "select_token": return .selectToken(index: try int("index"))
        case "token_mean": return .tokenMean
        default:
            if let act = Activation(rawValue: mnemonic) { return .activation(act) }
            throw failure("unknown op '\(mnemonic)'")
        }
    }

    // MARK: - Token helpers

    private func failure(_ message: String) -> Failure {
        let column = position < tokens.count ? tokens[position].1 : (tokens.last?.1 ?? 1)
        return Failure(line: lineNumber, column: column, message: message)
    }

    private func peek(_ token: Token) -> Bool { position < tokens.count && tokens[position].0 == token }

    private mutating func next(_ what: String) throws -> Token {
        guard position < tokens.count else { throw failure("expected \(what), found the end of the line") }
        position += 1
        return tokens[position - 1].0
    }

    private mutating func expect(_ token: Token) throws {
        guard peek(token) else { throw failure("expected \(Self.describe(token))") }
        position += 1
    }

    private mutating func value() throws -> ValueID {
        guard case .value(let id) = try next("a value such as %3") else { position -= 1; throw failure("expected a value such as %3") }
        return id
    }

    private mutating func symbol() throws -> String {
        guard case .symbol(let name) = try next("a name such as @\"x\"") else { position -= 1; throw failure("expected a name such as @\"x\"") }
        return name
    }

    private mutating func string() throws -> String {
        guard case .string(let text) = try next("a quoted string") else { position -= 1; throw failure("expected a quoted string") }
        return text
    }

    private mutating func word() throws -> String {
        guard case .word(let text) = try next("a word") else { position -= 1; throw failure("expected a word") }
        return text
    }

    private mutating func integer() throws -> Int {
        guard case .number(let text) = try next("an integer"), let value = Int(text) else { position -= 1; throw failure("expected an integer") }
        return value
    }

    private mutating func intList() throws -> [Int] {
        try expect(.punct("["))
        var items: [Int] = []
        while !peek(.punct("]")) {
            items.append(try integer())
            if !peek(.punct("]")) { try expect(.punct(",")) }
        }
        try expect(.punct("]"))
        return items
    }

    private mutating func tensorType() throws -> TensorType {
        try expect(.punct("["))
        try expect(.word("N"))
        var dims: [Int] = []
        while peek(.punct(",")) {
            position += 1
            dims.append(try integer())
        }
        try expect(.punct("]"))
        guard !dims.isEmpty, dims.allSatisfy({ $0 >= 1 }) else { throw failure("a type needs positive dimensions after N") }
        return TensorType(dims)
    }

    /// An attribute value as text: a word, a number or an integer list.
    private mutating func attributeValue() throws -> String {
        if peek(.punct("[")) { return "\(try intList())" }
        switch try next("an attribute value") {
        case .word(let text), .number(let text): return text
        default: position -= 1; throw failure("expected an attribute value")
        }
    }

    static func describe(_ token: Token) -> String {
        switch token {
        case .punct(let p), .word(let p): return "'\(p)'"
        default: return "\(token)"
        }
    }

    static func tokenize(_ line: String, line number: Int) throws -> [(Token, Int)] {
        let chars = Array(line)
        var tokens: [(Token, Int)] = []
        var i = 0
        func quotedString(from start: Int) throws -> (String, Int) {
            var j = start + 1
            var text = ""
            while j < chars.count, chars[j] != "\"" {
                if chars[j] == "\\", j + 1 < chars.count {
                    j += 1
                    text.append(chars[j] == "n" ? "\n" : chars[j])
                } else {
                    text.append(chars[j])
                }
                j += 1
            }
            guard j < chars.count else { throw Failure(line: number, column: start + 1, message: "unterminated string") }
            return (text, j + 1)
        }
        while i < chars.count {
            let c = chars[i]
            let column = i + 1
            if c == " " || c == "\t" { i += 1; continue }
            if c == "/", i + 1 < chars.count, chars[i + 1] == "/" { break }
            if c == "%" {
                var j = i + 1
                while j < chars.count, chars[j].isNumber { j += 1 }
                guard j > i + 1, let id = Int(String(chars[i + 1..<j])) else {
                    throw Failure(line: number, column: column, message: "expected digits after '%'")
                }
                tokens.append((.value(id), column))
                i = j
            } else if c == "@" {
                guard i + 1 < chars.count, chars[i + 1] == "\"" else { throw Failure(line: number, column: column, message: "expected '\"' after '@'") }
                let (text, end) = try quotedString(from: i + 1)
                tokens.append((.symbol(text), column))
                i = end
            } else if c == "\"" {
                let (text, end) = try quotedString(from: i)
                tokens.append((.string(text), column))
                i = end
            } else if c == "-", i + 1 < chars.count, chars[i + 1] == ">" {
                tokens.append((.punct("->"), column))
                i += 2
            } else if c.isNumber || (c == "-" && i + 1 < chars.count && chars[i + 1].isNumber) {
                var j = i + 1
                while j < chars.count,
                    chars[j].isNumber || chars[j] == "." || chars[j] == "e" || chars[j] == "E"
                        || ((chars[j] == "-" || chars[j] == "+") && (chars[j - 1] == "e" || chars[j - 1] == "E"))
                { j += 1 }
                tokens.append((.number(String(chars[i..<j])), column))
                i = j
            } else if c.isLetter || c == "_" {
                var j = i + 1
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
                tokens.append((.word(String(chars[i..<j])), column))
                i = j
            } else if "()[]{}=,:".contains(c) {
                tokens.append((.punct(String(c)), column))
                i += 1
            } else {
                throw Failure(line: number, column: column, message: "unexpected character '\(c)'")
            }
        }
        return tokens
    }
}
