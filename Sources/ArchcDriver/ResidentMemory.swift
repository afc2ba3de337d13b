import ArchcRuntime
import ArchcSpec
import Foundation

/// A run's peak resident memory against its floor: what the engine must hold (packed
/// weights, activation arena, im2col scratch) plus what the process held before the model
/// (binary, Swift runtime, libraries), measured at the start of the run.
public struct ResidentMemory: Sendable {
    /// Resident bytes when the run started, before the spec was read.
    public var processBytes: Int
    /// Packed weights + activation arena + scratch.
    public var engineBytes: Int
    /// The highest resident set size of the run so far (VmHWM).
    public var peakBytes: Int

    public var floorBytes: Int { processBytes + engineBytes }
    public var ratio: Double { floorBytes > 0 ? Double(peakBytes) / Double(floorBytes) : 0 }

    /// Read after the run: the peak includes loading, folding, packing and every timed run.
    public init(engine: Engine, processBytes: Int) {
        self.processBytes = processBytes
        engineBytes = engine.peakBytes
        peakBytes = ProcessMemory.peakResidentBytes()
    }

    /// "peak RSS 140.20 MiB = 1.05x the floor of 133.50 MiB (engine 110.00 MiB + process 23.50 MiB)".
    public var summary: String {
        String(
            format: "peak RSS %@ = %.2fx the floor of %@ (engine %@ + process %@ at start)", Format.bytes(peakBytes), ratio,
            Format.bytes(floorBytes), Format.bytes(engineBytes), Format.bytes(processBytes))
    }
}
