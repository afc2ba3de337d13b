import ArchcIR

/// `remove-dead-nodes`: drops nodes whose value nobody reads and constants no node names.
public struct RemoveDeadNodes: Pass {
    public let flag = "remove-dead-nodes"
    public let summary = "remove nodes nobody reads and unused constants"

    public init() {}

    public func run(on graph: inout Graph) -> Int {
        var removed = 0
        var changed = true
        while changed {
            changed = false
            let uses = graph.useCounts()
            if let dead = graph.nodes.lastIndex(where: { uses[$0.id, default: 0] == 0 }) {
                graph.nodes.remove(at: dead)
                removed += 1
                changed = true
            }
        }
        let named = Set(graph.nodes.flatMap(\.weights))
        for name in graph.constants.keys where !named.contains(name) {
            graph.constants[name] = nil
            removed += 1
        }
        return removed
    }
}
