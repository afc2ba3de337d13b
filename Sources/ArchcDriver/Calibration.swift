import ArchcIR
import ArchcRuntime

/// `archc calibrate`: runs the float32 engine over a folder of photos and records the range
/// of every value an int8 layer reads (min-max over all images; padding images of the last
/// batch left out).
public enum Calibration {
    /// `seen` is given each batch's real images (NCHW), as the model saw them.
    public static func collect(
        _ model: PreparedModel, inputs: InputBatch, first: Tensor, threads: Int, seen images: ((Tensor) -> Void)? = nil
    ) throws -> ActivationRanges {
        let graph = model.optimized
        let neededInOrder = ActivationRanges.needed(by: graph)
        let needed = Set(neededInOrder)
        let engine = try Engine(graph: graph, batch: inputs.batchSize, threads: threads)
        let ids = graph.nodes.filter { needed.contains($0.name) }.map { ($0.id, $0.name) }
        var ranges = ActivationRanges()
        for index in 0..<inputs.batchCount {
            // Batch 0 was decoded already (it sized the model) and is always full.
            let loaded = index == 0 ? InputBatch.Loaded(tensor: first, count: inputs.batchSize, files: []) : try inputs.batch(index)
            let values = try engine.runAll(loaded.tensor)
            var seen: [String: Tensor] = [:]
            let input = real(loaded.tensor, count: loaded.count)
            images?(input)
            if needed.contains(ActivationRanges.inputName) { seen[ActivationRanges.inputName] = input }
            for (id, name) in ids { seen[name] = real(values[id]!, count: loaded.count) }
            // A range is of finite values: NaN or infinity met here (the model overflows on
            // these images) was left out without a word, and int8 then quantized it to an
            // ordinary code.
            for name in neededInOrder {
                guard let bad = seen[name]?.nonFinite else { continue }
                throw EngineError.invalid(
                    "'\(name)' holds \(bad.count) NaN or infinite value(s) in this batch (the first in calibration image \(ranges.images + bad.image)), so no range can hold it (are the weights or inputs finite?)"
                )
            }
            ranges.observe(seen)
            ranges.images += loaded.count
        }
        return ranges
    }

    /// The first `count` images of a batch.
    private static func real(_ t: Tensor, count: Int) -> Tensor {
        let per = t.count / max(1, t.dims[0])
        return Tensor(dims: [count] + t.dims.dropFirst(), data: Array(t.data[0..<(count * per)]))
    }
}
