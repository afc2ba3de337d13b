import ArchcIR
import Foundation
import SwiftProtobuf

/// Writes a graph as an ONNX model (opset 17): weights embedded as initializers under the
/// spec's tensor names, a dynamic batch dimension `N`, one ONNX node (or a short chain) per
/// IR node. Fused epilogues are spelled out as the ops they stand for.
public enum ONNXExporter {
    public static let opset: Int64 = 17
    public static let irVersion: Int64 = 8

    public static func export(_ graph: Graph) -> Onnx_ModelProto {
        var builder = Builder(graph: graph)
        for node in graph.nodes { builder.emit(node) }
        // The graph output is renamed "output" through an Identity, so every name stays unique.
        let output = builder.unused("output")
        builder.add("Identity", [builder.name(of: graph.output)], [output], "output")
        var g = Onnx_GraphProto()
        g.name = graph.name
        g.node = builder.nodes
        g.initializer = builder.initializers
        g.input = [valueInfo(builder.name(of: Graph.inputID), graph.inputType)]
        g.output = [valueInfo(output, graph.type(of: graph.output)!)]
        var model = Onnx_ModelProto()
        model.irVersion = irVersion
        model.producerName = "archc"
        model.producerVersion = "0.1.0"
        model.graph = g
        var opsetID = Onnx_OperatorSetIdProto()
        opsetID.domain = ""
        opsetID.version = opset
        model.opsetImport = [opsetID]
        return model
    }

    public static func serialized(_ graph: Graph) throws -> Data {
        try export(graph).serializedData()
    }

    static func valueInfo(_ name: String, _ type: TensorType) -> Onnx_ValueInfoProto {
        var shape = Onnx_TensorShapeProto()
        var batch = Onnx_TensorShapeProto.Dimension()
        batch.dimParam = "N"
        shape.dim =
            [batch]
            + type.dims.map { d in
                var dim = Onnx_TensorShapeProto.Dimension()
                dim.dimValue = Int64(d)
                return dim
            }
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = 1  // FLOAT
        tensor.shape = shape
        var typeProto = Onnx_TypeProto()
        typeProto.tensorType = tensor
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type = typeProto
        return info
    }
}

/// Accumulates ONNX nodes and initializers while walking the IR.
struct Builder {
    let graph: Graph
    /// Every value's type (`Graph.valueTypes`), asked per node.
    let types: [ValueID: TensorType]
    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []
    var emitted: Set<String> = []
    var counter = 0
    var nodeNames: Set<String> = []
    /// The spec's tensor names: initializers under their own names, which no name the
    /// exporter makes up (values, temporaries, its own constants) may take.
    let specNames: Set<String>

    init(graph: Graph) {
        self.graph = graph
        types = graph.valueTypes()
        specNames = Set(graph.constants.keys)
        for name in graph.constants.keys.sorted() { addInitializer(name, graph.constants[name]!) }
    }

    /// `base`, with `_` appended until it is no spec tensor's name. Made-up names never end
    /// in `_`, so two of them cannot meet this way either.
    func unused(_ base: String) -> String {
        var name = base
        while specNames.contains(name) { name += "_" }
        return name
    }

    func name(of value: ValueID) -> String { unused(value == Graph.inputID ? "input" : "v\(value)") }

    mutating func emit(_ node: Node) {
        let x = name(of: node.inputs[0]), out = name(of: node.id)
        let type = node.type
        switch node.kind {
        case .conv2d(let a, let e):
            let w = graph.constants[node.weights[0]]!.dims
            var result = fresh()
            add(
                "Conv", [x] + node.weights, [result], node.name,
                [
                    ints("kernel_shape", [w[2], w[3]]), ints("strides", a.stride), ints("pads", a.padding),
                    ints("dilations", a.dilation), int("group", a.groups),
                ])
            finish(epilogue(e, result, node), as: out, node.name)
        case .batchNorm(let eps, let affine):
            var inputs = node.weights
            if !affine {
                let c = type.channels
                inputs =
                    [
                        constant(node.name + ".archc_ones", Tensor(dims: [c], data: Array(repeating: 1, count: c))),
                        constant(node.name + ".archc_zeros", Tensor(zeros: [c])),
                    ] + node.weights
            }
            add("BatchNormalization", [x] + inputs, [out], node.name, [float("epsilon", eps)])
        case .scaleShift:
            let scaled = fresh()
            add("Mul", [x, perChannel(node.weights[0], type)], [scaled], node.name + ".scale")
            add("Add", [scaled, perChannel(node.weights[1], type)], [out], node.name)
        case .channelScale:
            add("Mul", [x, perChannel(node.weights[0], type)], [out], node.name)
        case .layerNorm(let eps, let affine):
            layerNorm(x, out, node, eps: eps, affine: affine)
        case .activation(let act):
            finish(activation(act, x, node.name), as: out, node.name)
        case .add:
            add("Add", [x, name(of: node.inputs[1])], [out], node.name)
        case .maxPool(let p):
            add(
                "MaxPool", [x], [out], node.name,
                [
                    ints("kernel_shape", [p.kernel, p.kernel]), ints("strides", [p.stride, p.stride]),
                    ints("pads", Array(repeating: p.padding, count: 4)),
                ])
        case .avgPool(let p):
            add(
                "AveragePool", [x], [out], node.name,
                [
                    ints("kernel_shape", [p.kernel, p.kernel]), ints("strides", [p.stride, p.stride]),
                    ints("pads", Array(repeating: p.padding, count: 4)), int("count_include_pad", 1),
                ])
        case .globalAvgPool:
            let pooled = fresh()
            add("GlobalAveragePool", [x], [pooled], node.name)
            add("Flatten", [pooled], [out], node.name + ".flatten", [int("axis", 1)])
        case .flatten:
            add("Flatten", [x], [out], node.name, [int("axis", 1)])
        case .linear(let e):
            finish(epilogue(e, linear(x, node), node), as: out, node.name)
        case .tokens, .prependToken, .addConstant, .attention, .selectToken, .tokenMean:
            emitTokenOp(node, x, out)
        }
    }

    /// A conv's or linear's fused epilogue spelled out: `post(act(result) + residual)`.
    mutating func epilogue(_ e: Epilogue, _ result: String, _ node: Node) -> String {
        var result = result
        if let act = e.activation { result = activation(act, result, node.name) }
        if e.residual {
            let sum = fresh()
            add("Add", [result, name(of: node.inputs[1])], [sum], node.name + ".add")
            result = sum
        }
        if let post = e.postActivation { result = activation(post, result, node.name + ".post") }
        return result
    }

    // MARK: - Pieces

    /// Names the chain's last result `out`: renames the producing node's output when it was
    /// the last one added, else adds an Identity.
    mutating func finish(_ result: String, as out: String, _ label: String) {
        if let last = nodes.indices.last, nodes[last].output == [result] {
            nodes[last].output = [out]
        } else {
            add("Identity", [result], [out], label + ".out")
        }
    }

    mutating func activation(_ act: Activation, _ x: String, _ label: String) -> String {
        let y = fresh()
        switch act {
        case .relu:
            add("Relu", [x], [y], label + ".relu")
        case .relu6:
            add("Clip", [x, scalar("archc.zero", 0), scalar("archc.six", 6)], [y], label + ".relu6")
        case .gelu:
            // 0.5 * x * (1 + erf(x / sqrt(2))), the exact GELU (opset 17 has no Gelu op).
            let (scaled, erf, onePlus, half) = (fresh(), fresh(), fresh(), fresh())
            add("Div", [x, scalar("archc.sqrt2", Float(2.0.squareRoot()))], [scaled], label + ".gelu.div")
            add("Erf", [scaled], [erf], label + ".gelu.erf")
            add("Add", [erf, scalar("archc.one", 1)], [onePlus], label + ".gelu.add")
            add("Mul", [x, scalar("archc.half", 0.5)], [half], label + ".gelu.half")
            add("Mul", [half, onePlus], [y], label + ".gelu")
        }
        return y
    }

    /// LayerNorm over channels (axis 1 in NCHW, 2 for tokens), spelled with ReduceMean.
    mutating func layerNorm(_ x: String, _ out: String, _ node: Node, eps: Float, affine: Bool) {
        let (mean, centred, squared, variance, shifted, deviation, normalised) = (fresh(), fresh(), fresh(), fresh(), fresh(), fresh(), fresh())
        let label = node.name
        let axis = node.type.isTokens ? 2 : 1
        add("ReduceMean", [x], [mean], label + ".mean", [ints("axes", [axis]), int("keepdims", 1)])
        add("Sub", [x, mean], [centred], label + ".sub")
        add("Mul", [centred, centred], [squared], label + ".sq")
        add("ReduceMean", [squared], [variance], label + ".var", [ints("axes", [axis]), int("keepdims", 1)])
        add("Add", [variance, scalar(label + ".archc_eps", eps)], [shifted], label + ".eps")
        add("Sqrt", [shifted], [deviation], label + ".sqrt")
        add("Div", [centred, deviation], [affine ? normalised : out], label + ".div")
        guard affine else { return }
        let scaled = fresh()
        add("Mul", [normalised, perChannel(node.weights[0], node.type)], [scaled], label + ".scale")
        add("Add", [scaled, perChannel(node.weights[1], node.type)], [out], label)
    }

    /// A [C] weight as [C, 1, 1] for broadcasting over a feature map (as is for tokens and vectors).
    mutating func perChannel(_ weight: String, _ type: TensorType) -> String {
        guard type.isImage else { return weight }
        let y = unused(weight + ".archc_c11")
        if !emitted.contains(y) {
            emitted.insert(y)
            add("Unsqueeze", [weight, axes12()], [y], weight + ".unsqueeze")
        }
        return y
    }

    private mutating func axes12() -> String {
        let name = unused("archc.axes_1_2")
        if !emitted.contains(name) {
            emitted.insert(name)
            var t = Onnx_TensorProto()
            t.name = name
            t.dataType = 7  // INT64
            t.dims = [2]
            t.int64Data = [1, 2]
            initializers.append(t)
        }
        return name
    }

    mutating func scalar(_ name: String, _ value: Float) -> String {
        constant(name, Tensor(dims: [], data: [value]))
    }

    /// An initializer the exporter makes up, added once (under `name` unless a spec tensor has it).
    mutating func constant(_ name: String, _ tensor: Tensor) -> String {
        let name = unused(name)
        if !emitted.contains(name) { addInitializer(name, tensor) }
        return name
    }

    mutating func addInitializer(_ name: String, _ tensor: Tensor) {
        emitted.insert(name)
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = 1  // FLOAT
        t.dims = tensor.dims.map(Int64.init)
        t.rawData = tensor.data.withUnsafeBytes { Data($0) }
        initializers.append(t)
    }

    mutating func fresh() -> String {
        counter += 1
        return unused("t\(counter)")
    }

    mutating func add(_ op: String, _ inputs: [String], _ outputs: [String], _ name: String, _ attributes: [Onnx_AttributeProto] = []) {
        // Node names are the layers' (`stem.relu`), made unique: ONNX Runtime refuses a repeat.
        var unique = name
        while nodeNames.contains(unique) { unique += "_" }
        nodeNames.insert(unique)
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = unique
        n.input = inputs
        n.output = outputs
        n.attribute = attributes
        nodes.append(n)
    }

    func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = values.map(Int64.init)
        return a
    }

    func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = Int64(value)
        return a
    }

    func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .float
        a.f = value
        return a
    }
}
