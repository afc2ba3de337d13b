import CKernelSupport
import ArchcKernels
import ArchcIR
import ArchcLowering
import ArchcInterpreter
import ArchcPasses
import ArchcRuntime
import ArchcSpec
import Foundation
import XCTest

enum RuntimeTest {
    /// The kernel sets this CPU runs (`AVX512.enabled`): the 512-bit and the AVX2 ones where
    /// it has AVX-512F, else only the AVX2 ones.
    static let kernelSets: [Bool] = archc_cpu_has_avx512f() != 0 ? [true, false] : [false]

    /// `body` with the 512-bit kernels on (`wide`) or off, then the setting as it was.
    static func withKernels<T>(wide: Bool, _ body: () throws -> T) rethrows -> T {
        let saved = AVX512.enabled
        AVX512.enabled = wide
        defer { AVX512.enabled = saved }
        return try body()
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A spec lowered with seeded weights, before and after the pipeline.
    static func graphs(_ path: String, overrides: [String] = []) throws -> (plain: Graph, optimized: Graph) {
        var options = ElaborationOptions()
        options.directory = root.path
        let compilation = Compiler.compile(path: path, overrides: overrides, options: options)
        let network = try XCTUnwrap(compilation.network, compilation.diagnostics.rendered())
        var graph = try Lowering.lower(network)
        WeightInit.seeded(&graph, seed: 5, style: .stress)
        return (graph, try Pipeline.run(graph, verify: true).get().0)
    }

    /// One conv (random weights [cout, c / groups, kh, kw], bias and input) as a graph, with
    /// its input and what the naive kernels compute. A residual, when the epilogue has one,
    /// comes from a zero-weight dense conv of the same geometry whose bias makes it a
    /// per-channel constant map of exactly the output's shape.
    static func oneConv(
        _ name: String, batch: Int, c: Int, h: Int, w: Int, cout: Int, kh: Int, kw: Int, attrs: ConvAttributes, epilogue: Epilogue, seed: UInt64
    ) -> (graph: Graph, x: Tensor, expected: Tensor) {
        let weight = random([cout, c / attrs.groups, kh, kw], seed: seed)
        let bias = random([cout], seed: seed + 1)
        let x = random([batch, c, h, w], seed: seed + 2)
        var expected = NaiveKernels.conv2d(x, weight: weight, bias: bias, attrs)
        let outType = TensorType(Array(expected.dims.dropFirst()))
        var nodes: [Node] = []
        var constants: [String: Tensor] = ["w": weight, "b": bias]
        var inputs = [Graph.inputID]
        var residual: Tensor?
        if epilogue.residual {
            let residualAttrs = ConvAttributes(stride: attrs.stride, padding: attrs.padding, dilation: attrs.dilation, groups: 1)
            constants["zero"] = Tensor(zeros: [cout, c, kh, kw])
            constants["r"] = random([cout], seed: seed + 4)
            nodes.append(Node(id: 1, kind: .conv2d(residualAttrs, Epilogue()), inputs: [0], weights: ["zero", "r"], type: outType, name: "res"))
            inputs.append(1)
            residual = NaiveKernels.conv2d(x, weight: constants["zero"]!, bias: constants["r"]!, residualAttrs)
        }
        NaiveKernels.applyEpilogue(&expected, epilogue, residual: residual)
        nodes.append(Node(id: 2, kind: .conv2d(attrs, epilogue), inputs: inputs, weights: ["w", "b"], type: outType, name: "conv"))
        return (Graph(name: name, inputType: TensorType([c, h, w]), nodes: nodes, output: 2, constants: constants), x, expected)
    }

    static func random(_ dims: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor(dims: dims, data: generator.uniformArray(dims.reduce(1, *), low, high))
    }
}
