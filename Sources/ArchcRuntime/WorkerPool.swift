import Dispatch

/// Runs a fixed list of work chunks on `threads` workers. Chunk boundaries never depend on
/// the thread count and every output element is written by exactly one chunk, so results
/// are bitwise identical whatever `threads` is.
public struct WorkerPool: Sendable {
    public let threads: Int

    public init(threads: Int) { self.threads = max(1, threads) }

    /// Calls `body(chunk)` for every chunk in `0..<chunks`, worker `t` taking t, t+T, t+2T, ...
    public func run(chunks: Int, _ body: (Int) -> Void) {
        guard chunks > 0 else { return }
        let workers = min(threads, chunks)
        if workers == 1 {
            for chunk in 0..<chunks { body(chunk) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UnsafeSendableBox(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var chunk = worker
                while chunk < chunks {
                    box.value(chunk)
                    chunk += workers
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
