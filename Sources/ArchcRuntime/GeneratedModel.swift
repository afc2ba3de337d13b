import ArchcIR
import ArchcKernels
import Foundation

/// What every model emitted by `archc compile --emit swift` provides.
public protocol GeneratedModel: AnyObject {
    /// FNV-1a hash of the optimized graph's textual IR the file was generated from.
    static var graphHash: String { get }
    static var specPath: String { get }
    static var inputShape: [Int] { get }
    /// `weights`: the optimized graph's constants by name (`archc compile --emit weights`,
    /// or the `constants` of archc's optimized graph). Throws on a missing or misshapen
    /// weight, and on a CPU without the kernels' instructions.
    init(weights: [String: Tensor], threads: Int) throws
    /// (N, C, H, W) in, (N, F) or (N, C, H, W) out; throws `EngineError.inputShape` when C,
    /// H, W are not `inputShape` or N < 1.
    func predict(_ input: Tensor) throws -> Tensor
}

/// Why a generated model cannot load its weights.
public struct GeneratedModelError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// The weight `name` with shape `dims`, or an error naming it.
public func requireWeight(_ weights: [String: Tensor], _ name: String, _ dims: [Int]) throws -> Tensor {
    guard let tensor = weights[name] else { throw GeneratedModelError(message: "missing weight '\(name)'") }
    guard tensor.dims == dims else { throw GeneratedModelError(message: "weight '\(name)' has shape \(tensor.dims), expected \(dims)") }
    return tensor
}

/// Checks, when a generated model loads, that the kernel library still writes a 1x1 conv of
/// depth `k` over its residual safely (`PackedGemm.storesOnce`): the file's memory plan gave
/// such a conv's output its residual's bytes (`KernelPlan.inPlaceResiduals`).
public func requireInPlace(k: Int, _ layer: String) throws {
    guard PackedGemm.storesOnce(k: k) else {
        throw GeneratedModelError(
            message: "'\(layer)' writes its output over its residual at depth \(k), which this kernel library does not do: regenerate the file")
    }
}

/// Checks a generated model's input, (N, C, H, W) with (C, H, W) = `shape` and N >= 1, before
/// the unchecked kernels see it.
public func requireInput(_ input: Tensor, _ shape: [Int]) throws {
    let ranked = input.dims.count == shape.count + 1
    guard ranked, Array(input.dims.dropFirst()) == shape, input.dims[0] >= 1, input.data.count == input.dims.reduce(1, *) else {
        // The batch the caller meant when the rank is right, else one image.
        throw EngineError.inputShape(expected: [ranked ? max(1, input.dims[0]) : 1] + shape, found: input.dims)
    }
}

/// The identity of a graph for generated code and calibration files: `graphHash` of its IR
/// text without source locations. With them, the same spec named as `./specs/x.yaml`, run
/// from another folder or with a comment line added was "another graph".
public func graphHash(_ graph: Graph) -> String {
    var bare = graph
    for index in bare.nodes.indices { bare.nodes[index].location = nil }
    return graphHash(bare.text)
}

/// FNV-1a (64-bit) of a text, as 16 hex digits.
public func graphHash(_ text: String) -> String {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01B3
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}

/// A generated model's activation arena and scratch, kept from one `predict` to the next
/// while the batch stays the same, as the engine keeps its arena. Allocated per call, every
/// page of them was faulted in and zeroed by the kernel on every run: a third of generated
/// EfficientNet-Lite0's CPU time at batch 1 (the runtime's 10 ms took 18.5 ms generated).
/// Callers that share a model run one `predict` at a time (the kernels share its pool too).
public final class GeneratedBuffers: @unchecked Sendable {
    private let lock = NSLock()
    private var batch = 0
    private var arena: UnsafeMutableRawPointer?
    private var scratch: UnsafeMutableRawPointer?

    public init() {}

    deinit { release() }

    /// Runs `body` with an arena of `arenaBytesPerImage` x `batch` bytes and `scratchFloats`
    /// floats of scratch (reallocated when the batch changes). Throws when they cannot be
    /// allocated, instead of the abort of a failed `allocate`.
    public func with<Result>(
        batch: Int, arenaBytesPerImage: Int, scratchFloats: Int,
        _ body: (UnsafeMutableRawPointer, UnsafeMutablePointer<Float>) throws -> Result
    ) throws -> Result {
        lock.lock()
        defer { lock.unlock() }
        if batch != self.batch || arena == nil || scratch == nil {
            release()
            let (arenaBytes, arenaOverflow) = arenaBytesPerImage.multipliedReportingOverflow(by: batch)
            let (scratchBytes, scratchOverflow) = max(1, scratchFloats).multipliedReportingOverflow(by: MemoryLayout<Float>.size)
            guard !arenaOverflow, !scratchOverflow, let arena = AlignedMemory.bytesIfAvailable(max(64, arenaBytes)) else {
                throw EngineError.invalid("cannot allocate the activations of batch \(batch) (\(arenaBytesPerImage) bytes per image): out of memory")
            }
            guard let scratch = AlignedMemory.bytesIfAvailable(scratchBytes) else {
                AlignedMemory.free(arena)
                throw EngineError.invalid("cannot allocate the \(scratchBytes) bytes of scratch for batch \(batch): out of memory")
            }
            (self.arena, self.scratch, self.batch) = (arena, scratch, batch)
        }
        return try body(arena!, scratch!.assumingMemoryBound(to: Float.self))
    }

    private func release() {
        if let arena { AlignedMemory.free(arena) }
        if let scratch { AlignedMemory.free(scratch) }
        (arena, scratch, batch) = (nil, nil, 0)
    }
}
