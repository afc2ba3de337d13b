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
            ranges.observe(seen)
            ranges.images += loaded.count
        }
        // A value with no finite element in any image has no range; the file would lack it and
        // `run --precision int8` would ask for the calibration that was just made.
        if let missing = neededInOrder.first(where: { ranges.ranges[$0] == nil }) {
            throw EngineError.invalid(
                "'\(missing)' was NaN or infinite in all \(ranges.images) calibration image(s), so it has no range to quantize with (are the weights or inputs finite?)"
            )
        }
        return ranges
    }

    /// The first `count` images of a batch.
    private static func real(_ t: Tensor, count: Int) -> Tensor {
        let per = t.count / max(1, t.dims[0])
        return Tensor(dims: [count] + t.dims.dropFirst(), data: Array(t.data[0..<(count * per)]))
    }
}
