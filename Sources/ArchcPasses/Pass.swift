import ArchcIR

/// One rewrite of the graph: a kebab-case flag, a one-line summary, and a `run` that
/// returns how many rewrites it made.
public protocol Pass {
    var flag: String { get }
    var summary: String { get }
    func run(on graph: inout Graph) -> Int
}
