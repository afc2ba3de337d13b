import Dispatch
import Synchronization

/// Runs a fixed list of work chunks on `threads` workers. Chunk boundaries never depend on
/// the thread count and every output element is written by exactly one chunk, so results
/// are bitwise identical whatever `threads` is. Workers claim the next chunk from a shared
/// counter, so chunks of unequal size still balance.
public struct WorkerPool: Sendable {
    public let threads: Int

    public init(threads: Int) { self.threads = max(1, threads) }

    /// Calls `body(chunk)` once for every chunk in `0..<chunks`.
    public func run(chunks: Int, _ body: (Int) -> Void) {
        guard chunks > 0 else { return }
        let workers = min(threads, chunks)
        if workers == 1 {
            for chunk in 0..<chunks { body(chunk) }
            return
        }
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { body in
            let box = UnsafeSendableBox(body)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while true {
                    let chunk = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard chunk < chunks else { break }
                    box.value(chunk)
                }
            }
        }
    }
}

/// Carries a closure into `concurrentPerform`; the pool guarantees disjoint writes.
struct UnsafeSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
