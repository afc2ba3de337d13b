import ArchcIR
import ArchcInterpreter
import ArchcKernels
@testable import ArchcRuntime
import XCTest

/// Bottleneck blocks' last 1x1 conv writes its output over its residual input where that conv
/// is the residual's last reader (`KernelPlan.inPlaceResiduals`, `MemoryPlan.merging`).
final class InPlaceResidualTests: XCTestCase {
    /// Every value's steps: made at `first`, last read at `last` (the output: to the end).
    private func lifetimes(_ graph: Graph) -> [ValueID: (first: Int, last: Int)] {
        var life: [ValueID: (first: Int, last: Int)] = [Graph.inputID: (-1, -1)]
        for (index, node) in graph.nodes.enumerated() {
            life[node.id] = (index, index)
            for input in node.inputs { life[input]!.last = index }
        }
        life[graph.output]!.last = graph.nodes.count
        return life
    }

    /// The plan shares bytes between live values only along declared in-place pairs: any two
    /// values whose bytes overlap and whose lifetimes overlap are an output and its residual,
    /// joined where the output's node reads the residual last (directly or down a chain).
    private func checkShared(_ engine: Engine, _ graph: Graph, file: StaticString = #filePath, line: UInt = #line) {
        let life = lifetimes(graph), offsets = engine.plan.offsets
        let types = graph.valueTypes()
        var joined: [ValueID: ValueID] = [:]
        for (output, residual) in engine.kernelPlan.inPlaceResiduals where offsets[output] == offsets[residual] {
            XCTAssertEqual(life[residual]!.last, life[output]!.first, "%\(residual) is read after %\(output) overwrites it", file: file, line: line)
            joined[output] = residual
        }
        func root(_ v: ValueID) -> ValueID { joined[v].map(root) ?? v }
        let values = offsets.keys.filter { types[$0]!.elements > 0 }.sorted()
        for (i, a) in values.enumerated() {
            for b in values[(i + 1)...] {
                let (la, lb) = (life[a]!, life[b]!)
                let bytesA = engine.batch * types[a]!.elements * 4, bytesB = engine.batch * types[b]!.elements * 4
                let overlapBytes = offsets[a]! < offsets[b]! + bytesB && offsets[b]! < offsets[a]! + bytesA
                let overlapLife = la.first <= lb.last && lb.first <= la.last
                if overlapBytes && overlapLife {
                    XCTAssertEqual(root(a), root(b), "%\(a) and %\(b) share bytes while both live", file: file, line: line)
                }
            }
        }
    }

    /// Tiny bottleneck ResNet: each block's conv3 takes its residual's bytes (the downsample's
    /// output, or the previous block's output, itself written over its own residual), the plan
    /// shares nothing else, and the outputs are the interpreter's at batch 1 and 3.
    func testBottleneckOutputsTakeTheirResidualsBytes() throws {
        let (plain, optimized) = try RuntimeTest.graphs("specs/tiny/tiny-resnet.yaml", overrides: ["input.size=32"])
        for batch in [1, 3] {
            let engine = try Engine(graph: optimized, batch: batch, threads: 2)
            let pairs = engine.kernelPlan.inPlaceResiduals
            XCTAssertEqual(pairs.count, 3, "one per block")
            for (output, residual) in pairs {
                XCTAssertEqual(engine.plan.offsets[output], engine.plan.offsets[residual], "batch \(batch): %\(output) not over %\(residual)")
            }
            checkShared(engine, optimized)
            let input = WeightInit.input(for: plain, batch: batch, seed: 4)
            let error = try engine.run(input).relativeError(to: Interpreter.run(plain, input: input))
            XCTAssertLessThanOrEqual(error, 1e-4, "batch \(batch)")
        }
    }

    /// At batch > 1 the leading layers on large maps run image by image in their own arena
    /// (`BatchOrder`): tiny-resnet at 64x64 runs its first stage (32x32) so, and that stage's
    /// conv3 takes its residual's bytes in the per-image plan, the second stage's two in the
    /// batch's plan; the outputs are the interpreter's.
    func testInPlaceInsideTheImageMajorPrefix() throws {
        let (plain, optimized) = try RuntimeTest.graphs("specs/tiny/tiny-resnet.yaml", overrides: ["input.size=64"])
        let engine = try Engine(graph: optimized, batch: 2, threads: 2)
        let imagePlan = try XCTUnwrap(engine.imagePlan, "no image-major prefix")
        let inPrefix = engine.kernelPlan.inPlaceResiduals.filter { pair in
            engine.kernelPlan.steps[..<engine.imageMajorNodes].contains { $0.node.id == pair.output }
        }
        XCTAssertEqual(inPrefix.count, 1, "stage 1's conv3 runs image by image")
        XCTAssertEqual(engine.kernelPlan.inPlaceResiduals.count, 3)
        for (output, residual) in engine.kernelPlan.inPlaceResiduals {
            let plan = inPrefix.contains { $0.output == output } ? imagePlan : engine.plan
            XCTAssertEqual(plan.offsets[output], plan.offsets[residual], "%\(output) not over %\(residual)")
        }
        let input = WeightInit.input(for: plain, batch: 2, seed: 8)
        XCTAssertLessThanOrEqual(try engine.run(input).relativeError(to: Interpreter.run(plain, input: input)), 1e-4)
    }

    /// With more than one depth block C holds partial sums over its own memory between blocks,
    /// so a conv3 of Cin = 600 keeps its own buffer; the output is still the interpreter's.
    /// (Written in place it would add the residual to partial sums: this test then fails.)
    func testDeepResidualConvsKeepTheirOwnBuffer() throws {
        let (plain, optimized) = try RuntimeTest.graphs("specs/tiny/tiny-resnet.yaml", overrides: ["input.size=16", "stages[1].width=600"])
        let engine = try Engine(graph: optimized, batch: 2, threads: 2)
        let deep = engine.kernelPlan.steps.filter { step in
            if case .pointwise(let g, let e) = step.kernel { return e.residual && g.inC == 600 }
            return false
        }
        XCTAssertEqual(deep.count, 2, "stage 2's two conv3s")
        let inPlace = Set(engine.kernelPlan.inPlaceResiduals.map(\.output))
        for step in deep { XCTAssertFalse(inPlace.contains(step.node.id), "\(step.node.name) written in place at K = 600") }
        checkShared(engine, optimized)
        let input = WeightInit.input(for: plain, batch: 2, seed: 6)
        XCTAssertLessThanOrEqual(try engine.run(input).relativeError(to: Interpreter.run(plain, input: input)), 1e-4)
    }

    /// `y = conv1x1(v) + v`: the conv reads its residual as its input too, so writing over it
    /// would corrupt rows other tiles still read. Not in place; the interpreter's values.
    func testAConvWhoseInputIsItsResidualKeepsItsOwnBuffer() throws {
        let (c, h, w) = (32, 16, 16)
        let attrs = ConvAttributes(stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], groups: 1)
        let constants = [
            "w1": RuntimeTest.random([c, c, 1, 1], seed: 21), "b1": RuntimeTest.random([c], seed: 22),
            "w2": RuntimeTest.random([c, c, 1, 1], seed: 23), "b2": RuntimeTest.random([c], seed: 24),
        ]
        let type = TensorType([c, h, w])
        let graph = Graph(
            name: "self-residual", inputType: type,
            nodes: [
                Node(id: 1, kind: .conv2d(attrs, Epilogue()), inputs: [0], weights: ["w1", "b1"], type: type, name: "first"),
                Node(id: 2, kind: .conv2d(attrs, Epilogue(residual: true)), inputs: [1, 1], weights: ["w2", "b2"], type: type, name: "second"),
            ], output: 2, constants: constants)
        let x = RuntimeTest.random([2, c, h, w], seed: 25)
        let v = NaiveKernels.conv2d(x, weight: constants["w1"]!, bias: constants["b1"]!, attrs)
        var expected = NaiveKernels.conv2d(v, weight: constants["w2"]!, bias: constants["b2"]!, attrs)
        NaiveKernels.applyEpilogue(&expected, Epilogue(residual: true), residual: v)
        let engine = try Engine(graph: graph, batch: 2, threads: 2)
        XCTAssertTrue(engine.kernelPlan.inPlaceResiduals.isEmpty)
        XCTAssertNotEqual(engine.plan.offsets[1], engine.plan.offsets[2])
        XCTAssertLessThanOrEqual(try engine.run(x).relativeError(to: expected), 1e-5)
    }

    /// The joining rule on bare intervals: a residual read after the conv that would overwrite
    /// it keeps its bytes; read last there, the two become one interval; sizes must match.
    func testAResidualReadLaterIsNotOverwritten() {
        // Residual 0 lives 0...3, output 1 is made at 2: the residual outlives it.
        let graphless = MemoryPlan.merging(
            [
                MemoryPlan.Interval(value: 0, bytes: 64, first: 0, last: 3), MemoryPlan.Interval(value: 1, bytes: 64, first: 2, last: 4),
            ], [(output: 1, residual: 0)], lastUse: [0: 3, 1: 4], nodeIndex: [0: 0, 1: 2])
        XCTAssertEqual(graphless.intervals.count, 2)
        XCTAssertTrue(graphless.shared.isEmpty)
        // Read last at 2, made at 2: joined into one interval 0...4.
        let joined = MemoryPlan.merging(
            [
                MemoryPlan.Interval(value: 0, bytes: 64, first: 0, last: 2), MemoryPlan.Interval(value: 1, bytes: 64, first: 2, last: 4),
            ], [(output: 1, residual: 0)], lastUse: [0: 2, 1: 4], nodeIndex: [0: 0, 1: 2])
        XCTAssertEqual(joined.intervals.map(\.value), [0])
        XCTAssertEqual(joined.intervals.first?.last, 4)
        XCTAssertEqual(joined.shared, [1: 0])
        // Sizes differ: not joined.
        let sizes = MemoryPlan.merging(
            [
                MemoryPlan.Interval(value: 0, bytes: 64, first: 0, last: 2), MemoryPlan.Interval(value: 1, bytes: 128, first: 2, last: 4),
            ], [(output: 1, residual: 0)], lastUse: [0: 2, 1: 4], nodeIndex: [0: 0, 1: 2])
        XCTAssertTrue(sizes.shared.isEmpty)
    }
}
