import Foundation

/// Where `archc eval`'s time went (`--profile`): the streaming loop's wall-clock time and
/// images/s, the workers' CPU time per stage (summed over worker threads), the process's
/// CPU time, and the model thread's wall-clock time running the model, waiting for images
/// and batching and scoring. CPU times hold on a loaded machine, where wall-clock stage
/// times would count the time other processes ran.
public struct EvalProfile: Equatable, Sendable {
    public var images = 0
    public var batches = 0
    public var workers = 0
    public var threads = 0
    /// Images per batch the model ran at (`--batch`, or all the images when there are fewer).
    public var batch = 0
    /// Wall-clock seconds from the first batch requested to the last one scored.
    public var seconds = 0.0
    /// Worker CPU seconds: reading and decoding files, corrupting, resizing + normalising.
    public var decode = 0.0, corrupt = 0.0, resize = 0.0
    /// The process's CPU seconds (every thread: runtime, workers, scoring) during the loop.
    public var cpu = 0.0
    /// Model-thread seconds: the runtime, waiting for the next batch (the model idle), and
    /// copying the batch in and scoring its outputs.
    public var model = 0.0, waiting = 0.0, batching = 0.0

    public init() {}

    public var imagesPerSecond: Double { seconds > 0 ? Double(images) / seconds : 0 }

    /// Preparing images' share of the process's CPU time: what decoding costs next to the
    /// model, whatever the overlap. On a machine the process has to itself, eval's images/s
    /// can reach at most (1 - share) of the model's alone.
    public var preparationShare: Double { cpu > 0 ? min(1, (decode + corrupt + resize) / cpu) : 0 }

    /// A few lines for standard error.
    public var text: String {
        let perImage = { (seconds: Double) in String(format: "%.2f ms", images > 0 ? seconds * 1000 / Double(images) : 0) }
        let share = { (part: Double) in String(format: "%.1f%%", seconds > 0 ? part / seconds * 100 : 0) }
        return [
            String(format: "profile: %d images in %d batches, %.2f s, %.2f images/s", images, batches, seconds, imagesPerSecond),
            "  worker CPU (\(workers) workers) per image:  decode \(perImage(decode))  corrupt \(perImage(corrupt))  resize+normalise \(perImage(resize))",
            String(
                format: "  model thread (%d runtime threads):  model %.2f s (%@)  waiting for images %.2f s (%@)  batching+scoring %.2f s (%@)",
                threads, model, share(model), waiting, share(waiting), batching, share(batching)),
            String(format: "  process CPU %.2f s: preparing images is %.1f%% of it", cpu, preparationShare * 100),
        ].joined(separator: "\n")
    }
}
