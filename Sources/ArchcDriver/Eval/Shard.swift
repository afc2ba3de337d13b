import ArchcIO

/// `--shard K/N`: the K-th of N contiguous, near-equal parts of the sorted sample list
/// (K counts from 0, as Kubernetes' JOB_COMPLETION_INDEX does). Every sample belongs to
/// exactly one shard, whatever N, so N runs cover the list once.
public struct Shard: Equatable, Sendable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public static let whole = Shard(index: 0, count: 1)
    /// More shards than this is a typo, not a cluster.
    public static let maxCount = 1_000_000

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `K/N` with 0 <= K < N.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= Shard.maxCount, k >= 0, k < n else { return nil }
        self.init(index: k, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// The index range of this shard's samples among `total`: [K*total/N, (K+1)*total/N).
    public func range(of total: Int) -> Range<Int> {
        // total * (K + 1) cannot overflow: total is an in-memory list, N <= 1e6.
        let lower = total * index / count, upper = total * (index + 1) / count
        return lower..<upper
    }

    public func select<T>(_ items: [T]) -> [T] { Array(items[range(of: items.count)]) }
}
