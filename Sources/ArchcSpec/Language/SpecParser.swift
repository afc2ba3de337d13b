/// Turns a located YAML tree into a `ModelSpec` (or a block library), reporting every
/// structural problem: unknown keys, wrong kinds of values, missing sections.
struct SpecParser {
    let diagnostics: DiagnosticEngine

    static let topKeys = [
        "model", "doc", "extends", "set", "import", "params", "input", "defaults", "stem", "stages", "block_names", "downsample_names", "head", "budget",
        "expect", "blocks",
        "preprocess",
    ]
    static let stageKeys = ["block", "depth", "stride", "stride_at", "downsample"]

    /// Parses a model spec; blocks from imports are merged by the loader.
    func parseModel(_ root: SpecNode) -> ModelSpec? {
        guard let reader = FieldReader(root, "spec", allowed: Self.topKeys, diagnostics) else { return nil }
        var (name, location) = reader.string("model", required: true) ?? ("<unnamed>", root.location)
        if !NameCheck.check(name, "model name", at: location, diagnostics) { name = "<unnamed>" }
        var spec = ModelSpec(
            file: root.location.file, name: name, location: location,
            params: BlockTemplate.parseParams(reader["params"], block: "spec", diagnostics),
            inputLocation: root.location)
        parseInput(reader, into: &spec)
        if let node = reader["defaults"] { spec.defaults = parseDefaults(node) }
        spec.stem = LayerDecl.parseList(reader.list("stem") ?? [], diagnostics)
        spec.stages = (reader.list("stages", required: true) ?? []).compactMap(parseStage)
        spec.blockNames = reader.string("block_names")
        if let (pattern, at) = spec.blockNames, !NameCheck.check(pattern, "block_names pattern", at: at, diagnostics) { spec.blockNames = nil }
        spec.downsampleNames = reader.string("downsample_names")
        if let (pattern, at) = spec.downsampleNames, !NameCheck.check(pattern, "downsample_names pattern", at: at, diagnostics) {
            spec.downsampleNames = nil
        }
        spec.head = LayerDecl.parseList(reader.list("head") ?? [], diagnostics)
        if let node = reader["budget"], !node.isNull { spec.budget = parseBudget(node) }
        if let node = reader["expect"], !node.isNull { spec.expect = parseExpect(node) }
        if let node = reader["preprocess"], !node.isNull { spec.preprocess = parsePreprocess(node) }
        for param in spec.params where param.defaultValue == nil {
            diagnostics.error(param.location, "spec parameter '\(param.name)' needs a value, not only a type")
        }
        return spec
    }

    /// The `blocks:` mapping of a spec or library file.
    func parseBlocks(_ node: SpecNode?) -> [(BlockTemplate, SourceLocation)] {
        guard let node, !node.isNull else { return [] }
        guard let entries = node.entries else {
            diagnostics.error(node.location, "expected a mapping of block names to blocks, found \(node.kindDescription)")
            return []
        }
        return entries.compactMap { entry in
            BlockTemplate.parse(name: entry.key, at: entry.keyLocation, entry.value, diagnostics).map { ($0, entry.keyLocation) }
        }
    }

    private func parseInput(_ reader: FieldReader, into spec: inout ModelSpec) {
        guard let node = reader.required("input"),
            let input = FieldReader(node, "input", allowed: ["channels", "size"], diagnostics)
        else { return }
        spec.inputLocation = node.location
        spec.inputChannels = input.required("channels")
        spec.inputSize = input.required("size")
    }

    private func parseDefaults(_ node: SpecNode) -> ModelSpec.Defaults {
        var defaults = ModelSpec.Defaults()
        guard let reader = FieldReader(node, "defaults", allowed: ["norm", "act", "eps", "bias", "stride_at", "padding"], diagnostics) else {
            return defaults
        }
        if let (v, _) = reader.choice("norm", ["batchnorm", "layernorm"]) { defaults.norm = v }
        if let (v, _) = reader.choice("act", ["relu", "relu6", "gelu"]) { defaults.act = v }
        if let (v, _) = reader.choice("stride_at", ["first", "last"]) { defaults.strideAt = v }
        if let (v, _) = reader.choice("padding", ["symmetric", "tf-same"]) { defaults.padding = v }
        if let (text, at) = reader.string("eps") {
            if let eps = ScalarParsing.float(text), eps > 0 {
                defaults.eps = eps
            } else {
                diagnostics.error(at, "expected a positive number for 'eps', found '\(text)'")
            }
        }
        if let (text, at) = reader.string("bias") {
            if let bias = ScalarParsing.bool(text) {
                defaults.bias = bias
            } else {
                diagnostics.error(at, "expected true or false for 'bias', found '\(text)'")
            }
        }
        return defaults
    }

    private func parseStage(_ node: SpecNode) -> ModelSpec.Stage? {
        guard let entries = node.entries else {
            diagnostics.error(node.location, "expected a stage mapping such as {block: robust-dw, depth: 3, dim: 96}, found \(node.kindDescription)")
            return nil
        }
        let reader = FieldReader(node, "stage", allowed: entries.map(\.key), diagnostics)!
        guard let (block, blockAt) = reader.string("block", required: true), let depth = reader.required("depth") else { return nil }
        let strideAt = reader.choice("stride_at", ["first", "last"])
        let args = entries.filter { !Self.stageKeys.contains($0.key) }
        return ModelSpec.Stage(
            location: node.location, block: block, blockLocation: blockAt, depth: depth,
            stride: reader["stride"], strideAt: strideAt, downsample: reader.string("downsample"), args: args)
    }

    /// A budget's MACs: at least 1 (a budget of 0.001 MACs was accepted).
    static func isMACCount(_ value: Double) -> Bool { value >= 1 }

    /// `budget: {macs: 4.6G, tolerance: 5%}`, `{reference: other.yaml, tolerance: 5%}` or `"4.6G ± 5%"`.
    private func parseBudget(_ node: SpecNode) -> ModelSpec.Budget? {
        if let text = node.scalar {
            let parts = text.split(separator: "±", maxSplits: 1).map(String.init)
            guard let macs = ScalarParsing.quantity(parts[0]), Self.isMACCount(macs.value),
                let tolerance = parts.count == 2 ? ScalarParsing.fraction(parts[1]) : 0, tolerance >= 0, tolerance < 1
            else {
                diagnostics.error(node.location, "expected a budget such as '4.6G ± 5%', found '\(text)'")
                return nil
            }
            return ModelSpec.Budget(target: .macs(macs.value), tolerance: tolerance, location: node.location)
        }
        guard let reader = FieldReader(node, "budget", allowed: ["macs", "reference", "tolerance"], diagnostics) else { return nil }
        var tolerance = 0.0
        if let (text, at) = reader.string("tolerance") {
            guard let value = ScalarParsing.fraction(text), value >= 0, value < 1 else {
                diagnostics.error(at, "expected a tolerance such as '5%', found '\(text)'")
                return nil
            }
            tolerance = value
        }
        switch (reader.string("macs"), reader.string("reference")) {
        case (let macs?, nil):
            guard let value = ScalarParsing.quantity(macs.0), Self.isMACCount(value.value) else {
                diagnostics.error(macs.1, "expected a MAC count such as '4.6G' (at least 1), found '\(macs.0)'")
                return nil
            }
            return ModelSpec.Budget(target: .macs(value.value), tolerance: tolerance, location: node.location)
        case (nil, let reference?):
            return ModelSpec.Budget(target: .reference(path: reference.0, location: reference.1), tolerance: tolerance, location: node.location)
        default:
            diagnostics.error(node.location, "a budget needs exactly one of 'macs' or 'reference'")
            return nil
        }
    }

    /// `preprocess: {resize: 256, crop: 224, interpolation: bicubic, mean: [...], std: [...]}`.
    private func parsePreprocess(_ node: SpecNode) -> ModelSpec.Preprocess? {
        guard let reader = FieldReader(node, "preprocess", allowed: ["resize", "crop", "interpolation", "mean", "std"], diagnostics) else { return nil }
        var p = ModelSpec.Preprocess()
        for key in ["resize", "crop"] {
            guard let (text, at) = reader.string(key) else { continue }
            guard let value = ScalarParsing.int(text), value >= 1, value <= 8192 else {
                diagnostics.error(at, "expected a size in pixels (1-8192) for '\(key)', found '\(text)'")
                continue
            }
            if key == "resize" {
                p.resize = value
            } else {
                p.crop = value
                p.cropLocation = at
            }
        }
        p.interpolation = reader.choice("interpolation", ["bilinear", "bicubic"])?.0
        for key in ["mean", "std"] {
            guard let items = reader.list(key) else { continue }
            let values = items.compactMap { $0.scalar.flatMap(ScalarParsing.float) }
            guard values.count == 3, key == "mean" || values.allSatisfy({ $0 > 0 }) else {
                diagnostics.error(reader[key]!.location, "expected three \(key == "std" ? "positive " : "")numbers for '\(key)', one per RGB channel")
                continue
            }
            if key == "mean" { p.mean = values } else { p.std = values }
        }
        if let resize = p.resize, let crop = p.crop, crop > resize {
            diagnostics.error(reader.keyLocation("crop") ?? node.location, "crop \(crop) is larger than the resized shorter side \(resize)")
        }
        return p
    }

    private func parseExpect(_ node: SpecNode) -> ModelSpec.Expect? {
        guard let reader = FieldReader(node, "expect", allowed: ["params", "macs", "output"], diagnostics) else { return nil }
        var expect = ModelSpec.Expect()
        if let (text, at) = reader.string("params") {
            if let value = ScalarParsing.int(text) {
                expect.params = (value, at)
            } else {
                diagnostics.error(at, "expected an integer parameter count, found '\(text)'")
            }
        }
        if let (text, at) = reader.string("macs") {
            if ScalarParsing.quantity(text) != nil {
                expect.macs = (text, at)
            } else {
                diagnostics.error(at, "expected a MAC count such as '4.48G' or 4481000000, found '\(text)'")
            }
        }
        if let items = reader.list("output") {
            let dims = items.compactMap { $0.scalar.flatMap(ScalarParsing.int) }
            if dims.count == items.count, !dims.isEmpty {
                expect.output = (dims, reader["output"]!.location)
            } else {
                diagnostics.error(reader["output"]!.location, "expected a list of integers for 'output', such as [1000]")
            }
        }
        return expect
    }
}
