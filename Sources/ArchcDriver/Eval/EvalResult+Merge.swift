import ArchcIO

extension EvalResult {
    /// Adds the shards' counts into one result. Refused unless every part is a shard of the
    /// same model, sources, class subsets and shard count, and each shard appears exactly once.
    public static func merge(_ parts: [(file: String, result: EvalResult)]) throws -> EvalResult {
        guard let (firstFile, first) = parts.first else { throw IOError("merge", "no partial results given") }
        guard let count = first.shard?.count else { throw IOError(firstFile, "not a partial result (no shard); write parts with --shard K/N") }
        var seen: [Int: String] = [:]
        var merged = EvalResult(model: first.model, sources: first.sources, subsets: first.subsets, givenCleanTop1: first.givenCleanTop1)
        merged.run = first.run
        for (file, part) in parts {
            guard let shard = part.shard else { throw IOError(file, "not a partial result (no shard); write parts with --shard K/N") }
            guard shard.count == count else { throw IOError(file, "shard \(shard) is of \(shard.count) parts, \(firstFile) of \(count)") }
            guard part.model == first.model, part.sources == first.sources, part.subsets == first.subsets, part.givenCleanTop1 == first.givenCleanTop1 else {
                throw IOError(file, "partial result of a different run than \(firstFile) (model, data or options differ)")
            }
            guard part.run == first.run else {
                let made = { (run: String?) in run ?? "options not recorded" }
                throw IOError(file, "partial result of a different run than \(firstFile): made with \(made(part.run)), \(firstFile) with \(made(first.run))")
            }
            if let other = seen[shard.index] { throw IOError(file, "shard \(shard) is also in \(other)") }
            seen[shard.index] = file
            for (key, counts) in part.counts {
                guard let sum = EvalCounts.sum(merged.counts[key, default: EvalCounts()], counts) else {
                    throw IOError(file, "counts of \(key) add up to more than 2^40 images with the shards before it")
                }
                merged.counts[key] = sum
            }
        }
        let missing = (0..<count).filter { seen[$0] == nil }
        guard missing.isEmpty else {
            throw IOError(firstFile, "missing shard\(missing.count == 1 ? "" : "s") " + missing.prefix(10).map { "\($0)/\(count)" }.joined(separator: ", "))
        }
        return merged
    }
}
