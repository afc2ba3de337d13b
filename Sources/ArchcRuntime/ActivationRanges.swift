import ArchcIR

/// The range [lo, hi] of every activation a calibration run saw, by value name (the node
/// that produces it, or `input` for the graph's input): what int8 layers quantize their
/// inputs with. Collected with `observe`, stored by `archc calibrate` as JSON.
public struct ActivationRanges: Sendable, Equatable {
    /// The graph input's name in the ranges.
    public static let inputName = "input"

    public var ranges: [String: ClosedRange<Float>]
    /// Images the ranges were collected over.
    public var images: Int

    public init(ranges: [String: ClosedRange<Float>] = [:], images: Int = 0) {
        (self.ranges, self.images) = (ranges, images)
    }

    /// Widens the ranges by every finite value of `values` (name -> tensor).
    public mutating func observe(_ values: [String: Tensor]) {
        for (name, tensor) in values {
            var lo = Float.infinity, hi = -Float.infinity
            for v in tensor.data where v.isFinite {
                lo = min(lo, v)
                hi = max(hi, v)
            }
            guard lo <= hi else { continue }
            let old = ranges[name]
            ranges[name] = min(lo, old?.lowerBound ?? lo)...max(hi, old?.upperBound ?? hi)
        }
    }

    /// The name under which the value `id` of `graph` is calibrated.
    public static func name(of id: ValueID, in graph: Graph) -> String? {
        id == Graph.inputID ? inputName : graph.nodes.first { $0.id == id }?.name
    }

    /// The values int8 layers of `graph` read (their first input), by name, in order.
    public static func needed(by graph: Graph) -> [String] {
        var names: [String] = []
        for step in KernelPlan(graph).steps where Engine.runsInInt8(step.kernel) {
            if let name = name(of: step.node.inputs[0], in: graph), !names.contains(name) { names.append(name) }
        }
        return names
    }
}
