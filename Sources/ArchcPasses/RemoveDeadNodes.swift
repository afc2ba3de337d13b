import ArchcIR

/// `remove-dead-nodes`: drops nodes whose value nobody reads and constants no node names.
public struct RemoveDeadNodes: Pass {
    public let flag = "remove-dead-nodes"
    public let summary = "remove nodes nobody reads and unused constants"

    public init() {}

    public func run(on graph: inout Graph) -> Int {
        // Last to first: a node nobody reads is dropped and no longer reads its inputs, so a
        // chain of dead nodes goes in one sweep (nodes only read earlier ones).
        var uses = graph.useCounts()
        var dead = Set<Int>()
        for index in graph.nodes.indices.reversed() where uses[graph.nodes[index].id, default: 0] == 0 {
            dead.insert(index)
            for input in graph.nodes[index].inputs { uses[input, default: 0] -= 1 }
        }
        var removed = dead.count
        graph.nodes = graph.nodes.indices.filter { !dead.contains($0) }.map { graph.nodes[$0] }
        let named = Set(graph.nodes.flatMap(\.weights))
        for name in graph.constants.keys where !named.contains(name) {
            graph.constants[name] = nil
            removed += 1
        }
        return removed
    }
}
