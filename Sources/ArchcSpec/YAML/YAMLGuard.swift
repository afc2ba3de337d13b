import CYaml

/// A streaming pass over libyaml's events that refuses hostile documents before they are built.
///
/// Yams builds the whole node tree recursively and expands aliases by sharing; a document
/// nested thousands deep would overflow the stack, and an alias bomb (the "billion laughs")
/// would make any walk of the tree exponential. This pass keeps a count of the nodes the
/// document expands to and its nesting depth, and stops at the first one over the limit.
enum YAMLGuard {
    static let maxDepth = SpecLimits.yamlDepth
    static let maxExpandedNodes = SpecLimits.yamlNodes

    /// Returns nil when the document is within limits, else the diagnostic that refuses it.
    static func check(_ text: String, file: String) -> Diagnostic? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            return .error(SourceLocation(file: file, line: 1, column: 1), "cannot initialise the YAML parser")
        }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer -> Diagnostic? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            return walk(&parser, file: file)
        }
    }

    private struct Frame {
        var anchor: String?
        var size = 1
        var isMapping = false
        /// In a mapping: whether the next node is a key, and the plain keys seen so far.
        var expectsKey = true
        var keys: [String: SourceLocation] = [:]
    }

    private static func walk(_ parser: inout yaml_parser_t, file: String) -> Diagnostic? {
        var stack: [Frame] = [Frame()]  // the root frame collects the document's total
        var anchors: [String: Int] = [:]
        var aliased = false
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else { return syntaxError(parser, file: file) }
            defer { yaml_event_delete(&event) }
            let at = SourceLocation(file: file, line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
            // A node in a mapping is a key or a value, in turn; a scalar key met twice is
            // refused where it repeats (Yams names only the first), with the first as a note.
            let startsNode = [YAML_SCALAR_EVENT, YAML_ALIAS_EVENT, YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT].contains(event.type)
            if startsNode, stack[stack.count - 1].isMapping {
                if stack[stack.count - 1].expectsKey, event.type == YAML_SCALAR_EVENT, let key = string(event.data.scalar.value) {
                    if let first = stack[stack.count - 1].keys[key] {
                        return .error(
                            at, "duplicate key '\(key.prefix(64))' in mapping", notes: [.init(location: first, message: "first given here")])
                    }
                    stack[stack.count - 1].keys[key] = at
                }
                stack[stack.count - 1].expectsKey.toggle()
            }
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return nil
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                let sequence = event.type == YAML_SEQUENCE_START_EVENT
                let anchor = sequence ? string(event.data.sequence_start.anchor) : string(event.data.mapping_start.anchor)
                if let tag = sequence ? string(event.data.sequence_start.tag) : string(event.data.mapping_start.tag) {
                    return tagRefusal(tag, at)
                }
                stack.append(Frame(anchor: anchor, isMapping: !sequence))
                if stack.count > maxDepth {
                    return .error(at, "YAML nesting deeper than \(maxDepth) levels is not accepted")
                }
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let frame = stack.removeLast()
                if let name = frame.anchor { anchors[name] = frame.size }
                stack[stack.count - 1].size += frame.size
            case YAML_SCALAR_EVENT:
                if let tag = string(event.data.scalar.tag) { return tagRefusal(tag, at) }
                let plain = event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE
                if plain, event.data.scalar.length == 2, string(event.data.scalar.value) == "<<" {
                    return .error(at, "YAML merge keys ('<<') are not part of the spec language; write the keys out, or share them with a block or 'extends'")
                }
                if let name = string(event.data.scalar.anchor) { anchors[name] = 1 }
                stack[stack.count - 1].size += 1
            case YAML_ALIAS_EVENT:
                let name = string(event.data.alias.anchor) ?? ""
                aliased = true
                stack[stack.count - 1].size += anchors[name] ?? 1
            default:
                break
            }
            if stack[stack.count - 1].size > maxExpandedNodes {
                // An alias bomb is only suspected when the document uses aliases.
                guard aliased else { return .error(at, "YAML document has more than \(maxExpandedNodes) nodes, the limit for a spec; refused") }
                return .error(at, "YAML document expands to more than \(maxExpandedNodes) nodes (alias bomb?); refused")
            }
        }
    }

    /// A spec's values take their meaning from where they stand, never from a YAML tag: a
    /// tag was silently dropped (`!!float 8` read as the integer 8, `!!python/object` as text).
    private static func tagRefusal(_ tag: String, _ at: SourceLocation) -> Diagnostic {
        let shown = tag.hasPrefix("tag:yaml.org,2002:") ? "!!" + tag.dropFirst("tag:yaml.org,2002:".count) : tag
        return .error(at, "YAML tags ('\(shown.prefix(40))') are not part of the spec language; write the value alone")
    }

    private static func syntaxError(_ parser: yaml_parser_t, file: String) -> Diagnostic {
        let mark = parser.problem_mark
        let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
        var message = "invalid YAML: \(problem)"
        if let context = parser.context.map({ String(cString: $0) }) { message += " (\(context))" }
        let line = max(1, Int(mark.line) + 1), column = max(1, Int(mark.column) + 1)
        return .error(SourceLocation(file: file, line: line, column: column), message)
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return pointer.withMemoryRebound(to: CChar.self, capacity: 1) { String(cString: $0) }
    }
}
