import Foundation

/// Prepares items on worker threads ahead of the consumer, handing them out one batch at
/// a time in order. Workers run at most `depth` batches ahead of the batch being consumed,
/// so memory holds at most (depth + 1) * batch prepared items, whatever the item count.
final class BatchPrefetcher<Item> {
    private let count: Int
    private let batch: Int
    private let depth: Int
    private let prepare: (Int) -> Item
    private let condition = NSCondition()
    private var ready: [Int: Item] = [:]
    private var nextToPrepare = 0
    private var consumedBatches = 0
    private var cancelled = false
    private let finished = DispatchGroup()

    /// `prepare(i)` makes item i; it runs on `workers` threads at once.
    init(count: Int, batch: Int, workers: Int, depth: Int = 2, prepare: @escaping (Int) -> Item) {
        self.count = count
        self.batch = batch
        self.depth = depth
        self.prepare = prepare
        for _ in 0..<max(1, workers) {
            finished.enter()
            let thread = Thread { [self] in
                work()
                finished.leave()
            }
            thread.stackSize = 1 << 22
            thread.start()
        }
    }

    /// The next batch's items in order (the last batch may be short); nil when all are out.
    func next() -> [Item]? {
        condition.lock()
        defer { condition.unlock() }
        let start = consumedBatches * batch
        guard start < count else { return nil }
        let end = min(start + batch, count)
        while (start..<end).contains(where: { ready[$0] == nil }) { condition.wait() }
        let items = (start..<end).map { ready.removeValue(forKey: $0)! }
        consumedBatches += 1
        condition.broadcast()
        return items
    }

    /// Stops the workers after their current item and waits for them.
    func finish() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
        finished.wait()
    }

    private func work() {
        while true {
            condition.lock()
            // Wait while the next item lies beyond the window the consumer allows.
            while !cancelled, nextToPrepare < count, nextToPrepare >= (consumedBatches + depth) * batch { condition.wait() }
            guard !cancelled, nextToPrepare < count else {
                condition.unlock()
                return
            }
            let index = nextToPrepare
            nextToPrepare += 1
            condition.unlock()
            let item = prepare(index)
            condition.lock()
            ready[index] = item
            condition.broadcast()
            condition.unlock()
        }
    }
}
