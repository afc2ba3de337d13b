/// Expands a `ModelSpec` into a `Network`: instantiates every block of every stage,
/// evaluates expressions, infers shapes through the whole model, names every tensor and
/// prices every layer. Problems are reported and elaboration carries on with a plausible
/// shape, so one run shows every independent error.
public final class Elaborator {
    let spec: ModelSpec
    let diagnostics: DiagnosticEngine
    let options: ElaborationOptions
    var layers: [Layer] = []
    var tensorOwners: [String: SourceLocation] = [:]
    /// Notes naming the block instance being expanded, attached to errors inside templates.
    var context: [Diagnostic.Note] = []
    var aborted = false

    public init(spec: ModelSpec, diagnostics: DiagnosticEngine, options: ElaborationOptions = .init()) {
        self.spec = spec
        self.diagnostics = diagnostics
        self.options = options
    }

    func error(_ location: SourceLocation, _ message: String, notes: [Diagnostic.Note] = []) {
        diagnostics.error(location, message, notes: notes + context)
    }

    /// The network, or nil when the spec could not be expanded far enough to have one.
    public func run() -> Network? {
        let specScope = makeSpecScope()
        guard let input = inputShape(specScope) else { return nil }
        var cursor = (value: Layer.networkInput, shape: input)
        let stem = elaborateSequence(spec.stem, from: cursor, prefix: "", display: "stem", scope: specScope, section: .stem, block: nil)
        // Every later shape derives from the stem's: after it fails they would only echo its error.
        guard stem.complete else { return nil }
        cursor = stem.cursor
        let stages = elaborateStages(specScope, from: &cursor)
        cursor = elaborateList(spec.head, from: cursor, prefix: "", display: "head", scope: specScope, section: .head, block: nil)
        guard !aborted else { return nil }
        let network = Network(name: spec.name, file: spec.file, input: input, layers: layers, stages: stages)
        guard totalsFit(network) else { return nil }
        checkMemory(network)
        return network
    }

    /// Every layer's cost fits in 64 bits; their sums must too. Costs are never negative, so
    /// once the totals fit, every subtotal (a stage, a block) fits as well.
    private func totalsFit(_ network: Network) -> Bool {
        let totals: [(String, KeyPath<Cost, Int>)] = [("parameter count", \.params), ("MACs", \.macs), ("FLOPs", \.flops)]
        for (what, key) in totals where Checked.sum(network.layers.map { $0.cost[keyPath: key] }) == nil {
            error(spec.location, "the network's total \(what) overflows 64-bit arithmetic")
            return false
        }
        return true
    }

    private func makeSpecScope() -> Scope {
        var scope = Scope(owner: "spec '\(spec.name)'")
        for param in spec.params {
            guard let node = param.defaultValue else { continue }
            if let value = value(node, kind: param.kind, scope, "parameter '\(param.name)'") { scope.values[param.name] = value }
        }
        return scope
    }

    private func inputShape(_ scope: Scope) -> TensorShape? {
        guard let channelsNode = spec.inputChannels, let sizeNode = spec.inputSize,
            let channels = int(channelsNode, scope, "input channels"),
            let (height, width) = intPair(sizeNode, scope, "input size")
        else { return nil }
        var ok = true
        if channels < 1 { error(channelsNode.location, "input channels must be at least 1, found \(channels)"); ok = false }
        if height < 1 || width < 1 { error(sizeNode.location, "input size must be at least 1x1, found \(height)x\(width)"); ok = false }
        return ok ? .image(channels: channels, height: height, width: width) : nil
    }

    // MARK: - Stages and blocks

    private func elaborateStages(_ specScope: Scope, from cursor: inout (value: Int, shape: TensorShape)) -> [Network.Stage] {
        let plans = spec.stages.enumerated().compactMap { planStage($0.offset, $0.element, specScope) }
        // Each depth is checked before any sum: a wrapped total once passed this guard and
        // the loop below ran for 2^63 blocks.
        if let deep = plans.first(where: { $0.depth > options.maxBlocks }) {
            error(deep.stage.depth.location, "stage \(deep.index) asks for \(deep.depth) blocks, more than the limit of \(options.maxBlocks)")
            aborted = true
            return []
        }
        guard let total = Checked.sum(plans.map(\.depth)), total <= options.maxBlocks else {
            let shown = Checked.sum(plans.map(\.depth)).map(String.init) ?? "more than 2^63"
            error(spec.stages.first?.location ?? spec.location, "the stages ask for \(shown) blocks, more than the limit of \(options.maxBlocks)")
            aborted = true
            return []
        }
        var stages: [Network.Stage] = []
        var global = 0
        for plan in plans {
            stages.append(Network.Stage(index: plan.index, block: plan.template.name, depth: plan.depth, location: plan.stage.location))
            if let downsample = plan.downsample, !aborted {
                // The stage's stride belongs to its downsample; the blocks keep the resolution.
                let prefix = downsampleName(stage: plan.index, report: plan.index == plans.first { $0.downsample != nil }?.index)
                cursor = elaborateBlock(plan, downsample, prefix: prefix, stride: plan.stride, from: cursor, specScope, isDownsample: true)
            }
            for j in 0..<plan.depth where !aborted {
                let strided = plan.downsample == nil && (plan.strideAtFirst ? j == 0 : j == plan.depth - 1)
                let prefix = blockName(stage: plan.index, index: j, global: global, specScope)
                global += 1
                cursor = elaborateBlock(plan, plan.template, prefix: prefix, stride: strided ? plan.stride : 1, from: cursor, specScope)
            }
        }
        return stages
    }

    struct StagePlan {
        var index: Int
        var stage: ModelSpec.Stage
        var template: BlockTemplate
        var depth: Int
        var stride: Int
        var strideAtFirst: Bool
        var downsample: BlockTemplate?

        /// Parameter names either template declares: a stage argument must match one of them.
        var declared: Set<String> { Set(template.params.map(\.name) + (downsample?.params.map(\.name) ?? [])) }
    }

    private func template(_ name: String, at location: SourceLocation) -> BlockTemplate? {
        guard let template = spec.blocks[name] else {
            let known = Array(spec.blocks.keys)
            error(
                location,
                "unknown block '\(name)'" + (known.isEmpty ? "; no blocks are defined or imported" : Suggestion.hint(for: name, among: known)))
            return nil
        }
        return template
    }

    private func planStage(_ index: Int, _ stage: ModelSpec.Stage, _ scope: Scope) -> StagePlan? {
        guard let template = template(stage.block, at: stage.blockLocation) else { return nil }
        var downsample: BlockTemplate?
        if let (name, location) = stage.downsample {
            guard let found = self.template(name, at: location), !found.broken else { return nil }
            downsample = found
        }
        guard !template.broken, let depth = int(stage.depth, scope, "'depth'") else { return nil }
        guard depth >= 1 else {
            error(stage.depth.location, "stage \(index) needs a depth of at least 1, found \(depth)")
            return nil
        }
        var stride = 1
        if let node = stage.stride {
            guard let value = int(node, scope, "'stride'") else { return nil }
            guard value >= 1 else {
                error(node.location, "stride must be at least 1, found \(value)")
                return nil
            }
            stride = value
        }
        let strideAt = stage.strideAt?.0 ?? spec.defaults.strideAt
        return StagePlan(
            index: index, stage: stage, template: template, depth: depth, stride: stride, strideAtFirst: strideAt == "first",
            downsample: downsample)
    }

    /// `stages.{stage}.downsample`, or the spec's `downsample_names` pattern.
    /// A malformed pattern is reported once (`report`) and the default used.
    func downsampleName(stage: Int, report: Bool) -> String {
        let scope = Scope(["stage": .int(stage)], owner: "'downsample_names'")
        if let (pattern, location) = spec.downsampleNames,
            let name = expand(pattern, scope, report: report ? location : nil, key: "downsample_names", names: "stage")
        {
            return name
        }
        return "stages.\(stage).downsample"
    }

    /// `stages.{stage}.blocks.{index}` with each `{expr}` evaluated (`layer{stage + 1}.{index}`).
    /// A malformed pattern is reported once and the default used, so names stay unique.
    func blockName(stage: Int, index: Int, global: Int, _ specScope: Scope) -> String {
        let scope = Scope(["stage": .int(stage), "index": .int(index), "global": .int(global)], owner: "'block_names'")
        if let (pattern, location) = spec.blockNames,
            let name = expand(pattern, scope, report: stage == 0 && index == 0 ? location : nil)
        {
            return name
        }
        return expand("stages.{stage}.blocks.{index}", scope, report: nil) ?? "stages.\(stage).blocks.\(index)"
    }

    /// Substitutes each `{expr}`; nil when the pattern is malformed (reported at `report`).
    private func expand(
        _ pattern: String, _ scope: Scope, report location: SourceLocation?, key: String = "block_names", names: String = "stage, index and global"
    ) -> String? {
        var result = ""
        var rest = Substring(pattern)
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                if let location { error(location, "unclosed '{' in \(key) pattern '\(pattern)'") }
                return nil
            }
            let text = String(rest[rest.index(after: open)..<close])
            guard case .success(let expr) = ExprParser.parse(text), case .success(let value) = scope.evaluate(expr) else {
                if let location { error(location, "cannot evaluate '{\(text)}' in \(key) pattern '\(pattern)'; it may use \(names)") }
                return nil
            }
            result += String(value)
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    /// One block instance, or the stage's downsample (`isDownsample`: outside every block
    /// instance, so `fit` never counts it as the cost of one more block).
    private func elaborateBlock(
        _ plan: StagePlan, _ template: BlockTemplate, prefix: String, stride: Int, from input: (value: Int, shape: TensorShape),
        _ specScope: Scope, isDownsample: Bool = false
    ) -> (value: Int, shape: TensorShape) {
        let role = isDownsample ? "downsample" : "block"
        context = [.init(location: plan.stage.location, message: "in \(role) '\(prefix)' (\(template.name)) of stage \(plan.index)")]
        defer { context = [] }
        // Arguments meant for the stage's other template are not this one's business.
        let ignored = plan.declared.subtracting(template.params.map(\.name))
        guard var scope = blockScope(template, plan.stage, input: input.shape, stride: stride, ignoring: ignored, specScope) else { return input }
        let block = isDownsample ? nil : prefix
        if let outNode = template.out, let out = int(outNode, scope, "'out'") { scope.values["out"] = .int(out) }
        let body = elaborateList(template.body, from: input, prefix: prefix, display: prefix, scope: scope, section: .stage(plan.index), block: block)
        guard !aborted else { return body }
        if let outNode = template.out, case .int(let declared)? = scope.values["out"], declared != body.shape.channels {
            error(outNode.location, "block '\(template.name)' declares out = \(declared), but its body produces \(body.shape.channels) channels")
        }
        scope.values["out"] = .int(body.shape.channels)
        guard let shortcut = elaborateShortcut(template, scope: scope, from: input, body: body, prefix: prefix, stage: plan.index, block: block) else {
            return body
        }
        var result = append(
            name: "\(prefix).add", .add, inputs: [body.value, shortcut.value], input: body.shape, output: body.shape,
            tensors: [], section: .stage(plan.index), block: block, at: template.location)
        if let act = template.afterAdd {
            result = elaborateList([act], from: result, prefix: prefix, display: prefix + ".post", scope: scope, section: .stage(plan.index), block: block)
        }
        return result
    }

    /// The value added to the body output, or nil when the block has no residual.
    private func elaborateShortcut(
        _ template: BlockTemplate, scope: Scope, from input: (value: Int, shape: TensorShape),
        body: (value: Int, shape: TensorShape), prefix: String, stage: Int, block: String?
    ) -> (value: Int, shape: TensorShape)? {
        let matches = input.shape == body.shape
        switch template.shortcut {
        case .none:
            return nil
        case .identityIfMatch:
            return matches ? input : nil
        case .identity(let location):
            if matches { return input }
            error(location, "identity shortcut needs the body to keep the shape \(input.shape), but it produces \(body.shape); declare a projection shortcut")
            return nil
        case .projection(let name, let layers, let location):
            if matches { return input }
            let path = name.map { "\(prefix).\($0)" } ?? "\(prefix).shortcut"
            let projected = elaborateList(layers, from: input, prefix: path, display: path, scope: scope, section: .stage(stage), block: block)
            if projected.shape != body.shape {
                error(location, "residual shapes differ: the body produces \(body.shape) but the shortcut produces \(projected.shape)")
                return nil
            }
            return projected
        }
    }

    /// Binds a block's parameters: implicit `in` and `stride`, the stage's arguments, then defaults.
    private func blockScope(
        _ template: BlockTemplate, _ stage: ModelSpec.Stage, input: TensorShape, stride: Int, ignoring: Set<String>, _ specScope: Scope
    ) -> Scope? {
        var scope = Scope(["in": .int(input.channels), "stride": .int(stride)], owner: "block '\(template.name)'")
        let declared = template.params.map(\.name)
        // Looked up by name: thousands of parameters and arguments are a small file.
        let params = Dictionary(template.params.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let given = Set(stage.args.map(\.key))
        let definedAt = Diagnostic.Note(location: template.location, message: "block '\(template.name)' is defined here")
        for arg in stage.args where !ignoring.contains(arg.key) {
            guard let param = params[arg.key] else {
                error(
                    arg.keyLocation,
                    "block '\(template.name)' has no parameter '\(arg.key)'"
                        + Suggestion.hint(for: arg.key, among: declared + ["stride", "stride_at", "depth", "block", "downsample"]), notes: [definedAt])
                continue
            }
            if let value = value(arg.value, kind: param.kind, specScope, "parameter '\(param.name)' of block '\(template.name)'") {
                scope.values[param.name] = value
            }
        }
        var complete = true
        for param in template.params where scope.values[param.name] == nil {
            if let node = param.defaultValue {
                if let value = value(node, kind: param.kind, scope, "default of '\(param.name)'") { scope.values[param.name] = value }
            } else if !given.contains(param.name) {
                error(
                    stage.location, "stage is missing parameter '\(param.name)' (\(param.kind.rawValue)) of block '\(template.name)'",
                    notes: [.init(location: param.location, message: "'\(param.name)' is declared here")])
                complete = false
            } else {
                complete = false
            }
        }
        return complete ? scope : nil
    }
}
