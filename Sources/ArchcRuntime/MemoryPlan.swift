import ArchcIR

/// Places every activation of a graph in one arena by liveness: two values share bytes only
/// when their lifetimes do not overlap. Greedy by size, offsets 64-byte aligned.
public struct MemoryPlan: Sendable {
    public struct Interval: Sendable {
        public var value: Int
        public var bytes: Int
        public var first: Int
        public var last: Int
    }

    /// Byte offset of each value in the arena.
    public private(set) var offsets: [Int: Int] = [:]
    public private(set) var arenaBytes = 0
    /// What a naive plan (every value its own buffer) would need, for the report.
    public private(set) var unplannedBytes = 0

    public static let alignment = 64

    /// The plan for a graph's activations at `batch` (the input included, live until its last read).
    /// With `imageMajorPrefix` nodes run image by image (`BatchOrder`), their values live in
    /// the per-image plan (`imagePrefix`) and take no bytes here, except the prefix's last
    /// output, which is filled image by image from the start: it is live from the start.
    /// `extraReads`: values that steps read beyond their nodes' inputs (`KernelPlan.extraReads`).
    /// `inPlace`: outputs that may take their residual's bytes (`KernelPlan.inPlaceResiduals`),
    /// which they do when that node is the residual's last reader (`merging`).
    public init(
        graph: Graph, batch: Int, imageMajorPrefix prefix: Int = 0, extraReads: [(value: ValueID, step: Int)] = [],
        inPlace: [(output: ValueID, residual: ValueID)] = []
    ) {
        var lastUse: [ValueID: Int] = [:]
        for (index, node) in graph.nodes.enumerated() { for input in node.inputs { lastUse[input] = index } }
        for read in extraReads { lastUse[read.value] = max(lastUse[read.value] ?? read.step, read.step) }
        lastUse[graph.output] = graph.nodes.count
        var intervals = [Interval(value: Graph.inputID, bytes: batch * graph.inputType.elements * 4, first: -1, last: lastUse[Graph.inputID] ?? -1)]
        for (index, node) in graph.nodes.enumerated() {
            let inPrefix = index < prefix - 1, crossing = index == prefix - 1
            intervals.append(
                Interval(
                    value: node.id, bytes: inPrefix ? 0 : batch * node.type.elements * 4, first: crossing ? -1 : index,
                    last: lastUse[node.id] ?? index))
        }
        // Outside the prefix only: its values (but the last) take no bytes here.
        self.init(Self.merging(intervals, inPlace, lastUse: lastUse, graph: graph, nodes: prefix..<graph.nodes.count))
    }

    /// The plan of one image's values in the first `length` nodes (the input's copy included),
    /// which the engine runs image by image, reusing these bytes for every image.
    public init(
        imagePrefixOf graph: Graph, length: Int, extraReads: [(value: ValueID, step: Int)] = [], inPlace: [(output: ValueID, residual: ValueID)] = []
    ) {
        var lastUse: [ValueID: Int] = [:]
        for (index, node) in graph.nodes[..<length].enumerated() { for input in node.inputs { lastUse[input] = index } }
        for read in extraReads where read.step < length { lastUse[read.value] = max(lastUse[read.value] ?? read.step, read.step) }
        var intervals = [Interval(value: Graph.inputID, bytes: graph.inputType.elements * 4, first: -1, last: lastUse[Graph.inputID] ?? -1)]
        for (index, node) in graph.nodes[..<length].enumerated() {
            intervals.append(Interval(value: node.id, bytes: node.type.elements * 4, first: index, last: max(index, lastUse[node.id] ?? index)))
        }
        self.init(Self.merging(intervals, inPlace, lastUse: lastUse, graph: graph, nodes: 0..<length))
    }

    /// The intervals with each in-place output joined to its residual's (one interval from the
    /// residual's first step to the output's last, later placed as one: `shared`), where the
    /// output's node is the residual's last reader, both are made by `nodes` (never the graph's
    /// input) and their sizes match. Chains join too: a block's output, the residual of the
    /// next block's last conv, is in turn overwritten there.
    static func merging(
        _ intervals: [Interval], _ inPlace: [(output: ValueID, residual: ValueID)], lastUse: [ValueID: Int], graph: Graph, nodes: Range<Int>
    ) -> (intervals: [Interval], shared: [ValueID: ValueID], sharedBytes: Int) {
        var index: [ValueID: Int] = [:]
        for i in nodes where !inPlace.isEmpty { index[graph.nodes[i].id] = i }
        return merging(intervals, inPlace, lastUse: lastUse, nodeIndex: index)
    }

    /// `merging` with the step that makes each value (those of the nodes that may join).
    static func merging(
        _ intervals: [Interval], _ inPlace: [(output: ValueID, residual: ValueID)], lastUse: [ValueID: Int], nodeIndex index: [ValueID: Int]
    ) -> (intervals: [Interval], shared: [ValueID: ValueID], sharedBytes: Int) {
        guard !inPlace.isEmpty else { return (intervals, [:], 0) }
        var position: [ValueID: Int] = [:]
        for (i, interval) in intervals.enumerated() { position[interval.value] = i }
        var intervals = intervals
        var owner: [ValueID: ValueID] = [:]  // a joined output -> the value whose interval holds it
        var merged = Set<Int>()
        for (output, residual) in inPlace.sorted(by: { (index[$0.output] ?? 0) < (index[$1.output] ?? 0) }) {
            guard let at = index[output], index[residual] != nil, lastUse[residual] == at, let o = position[output] else { continue }
            let root = owner[residual] ?? residual
            guard let r = position[root], intervals[r].bytes == intervals[o].bytes else { continue }
            intervals[r].last = max(intervals[r].last, intervals[o].last)
            owner[output] = root
            merged.insert(o)
        }
        let sharedBytes = merged.reduce(0) { $0 + aligned(intervals[$1].bytes) }
        return (intervals.enumerated().filter { !merged.contains($0.offset) }.map(\.element), owner, sharedBytes)
    }

    /// Places `intervals`, then gives each joined output its holder's offset (the naive plan
    /// still counts its bytes).
    init(_ joined: (intervals: [Interval], shared: [ValueID: ValueID], sharedBytes: Int)) {
        self.init(joined.intervals)
        for (output, holder) in joined.shared { offsets[output] = offsets[holder] }
        unplannedBytes += joined.sharedBytes
    }

    /// Places the intervals largest first, each at the lowest offset clear of every placed
    /// interval whose lifetime overlaps its own. Placed intervals are found by where their
    /// lifetime starts: a short one (at most `shortLifetime` steps) can only overlap if it
    /// starts within that many steps before, so only those positions are looked at; the few
    /// long ones are checked one by one. (Checking every placed interval was quadratic: 20 s
    /// for the 180,000 values of a graph within the layer limit.)
    public init(_ intervals: [Interval]) {
        guard let low = intervals.map(\.first).min(), let high = intervals.map({ max($0.first, $0.last) }).max() else { return }
        var startingAt = [[Int]](repeating: [], count: high - low + 1)  // placed indices by first step
        var long: [Int] = []
        var placed: [(interval: Interval, offset: Int)] = []
        for interval in intervals.sorted(by: { ($0.bytes, $1.first) > ($1.bytes, $0.first) }) {
            let size = Self.aligned(interval.bytes)
            var conflicts: [(Int, Int)] = []
            func consider(_ index: Int) {
                let (other, offset) = placed[index]
                if other.first <= interval.last && interval.first <= other.last { conflicts.append((offset, offset + Self.aligned(other.bytes))) }
            }
            let from = max(low, interval.first - Self.shortLifetime), to = max(interval.first, interval.last)
            if from <= to { for step in from...to { for index in startingAt[step - low] { consider(index) } } }
            for index in long { consider(index) }
            conflicts.sort { $0.0 < $1.0 }
            var offset = 0
            for (start, end) in conflicts {
                if offset + size <= start { break }
                offset = max(offset, end)
            }
            offsets[interval.value] = offset
            if interval.last - interval.first > Self.shortLifetime {
                long.append(placed.count)
            } else {
                startingAt[interval.first - low].append(placed.count)
            }
            placed.append((interval, offset))
            arenaBytes = max(arenaBytes, offset + size)
            unplannedBytes += size
        }
    }

    /// Steps a lifetime may span and still count as short in `init(_:)`.
    static let shortLifetime = 64

    static func aligned(_ bytes: Int) -> Int { (bytes + alignment - 1) / alignment * alignment }
}
