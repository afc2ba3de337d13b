import ArchcIO
import ArchcImage
import Foundation

/// The `--report json` object, and reading it back (for `archc eval merge`):
///   {"model", "sources", "found", "count", "skipped", "top1_correct", "top5_correct", "non_finite",
///    "top1", "top5",                       totals over every image of the run
///    "sets": [{"set", "classes", counts...}],
///    "results": [{"set", "corruption", "severity", counts...}],   corrupted sets only
///    "ce": {corruption: CE}, "mce", "relative_ce", "relative_mce", "clean_top1",
///    "shard": {"index", "count"}}          a partial result only
extension EvalResult {
    public var jsonObject: [String: Any] {
        var object = Self.countsObject(total)
        object["model"] = model
        object["sources"] = sources
        object["sets"] = sets.map { set -> [String: Any] in
            var entry = Self.countsObject(total(of: set))
            entry["set"] = set
            entry["classes"] = (subsets[set] ?? .all).rawValue
            return entry
        }
        let corrupted = self.corrupted
        if !corrupted.isEmpty {
            object["results"] = corrupted.map { key, counts -> [String: Any] in
                var entry = Self.countsObject(counts)
                entry["set"] = key.set
                entry["corruption"] = key.corruption
                entry["severity"] = key.severity
                return entry
            }
        }
        if !ce.isEmpty { object["ce"] = ce }
        if let mce { object["mce"] = mce }
        if !relativeCE.isEmpty { object["relative_ce"] = relativeCE }
        if let relativeMCE { object["relative_mce"] = relativeMCE }
        if let givenCleanTop1 { object["clean_top1_given"] = givenCleanTop1 }
        if let run, shard != nil { object["run"] = run }  // what parts of one run must share
        if let shard { object["shard"] = ["index": shard.index, "count": shard.count] }
        return object
    }

    public var json: String {
        let data = (try? JSONSerialization.data(withJSONObject: jsonObject, options: [.prettyPrinted, .sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func countsObject(_ c: EvalCounts) -> [String: Any] {
        [
            "found": c.found, "count": c.evaluated, "skipped": c.skipped, "top1_correct": c.top1, "top5_correct": c.top5,
            "top1": c.top1Accuracy, "top5": c.top5Accuracy, "non_finite": c.nonFinite,
        ]
    }

    /// Reads a result written by `--report json` (one model's object).
    public static func parse(_ data: Data, file: String) throws -> EvalResult {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { throw IOError(file, "not a JSON object") }
        guard let model = object["model"] as? String, let sources = object["sources"] as? [String: String], let sets = object["sets"] as? [[String: Any]] else {
            throw IOError(file, "not an archc eval report (expected 'model', 'sources' and 'sets')")
        }
        var result = EvalResult(model: model, sources: sources, subsets: [:], givenCleanTop1: object["clean_top1_given"] as? Double)
        result.run = object["run"] as? String
        let results = object["results"] as? [[String: Any]] ?? []
        for entry in results {
            guard let set = entry["set"] as? String, let corruption = entry["corruption"] as? String, let severity = entry["severity"] as? Int else {
                throw IOError(file, "a 'results' entry lacks 'set', 'corruption' or 'severity'")
            }
            // What eval writes: a table has columns for severities 1 to 5 and rows for known corruptions.
            guard (1...5).contains(severity) else { throw IOError(file, "a 'results' entry has severity \(severity); severities are 1 to 5") }
            guard Corruption(rawValue: corruption) != nil else {
                throw IOError(file, "a 'results' entry names '\(corruption)', not an ImageNet-C corruption")
            }
            result.counts[EvalKey(set: set, corruption: corruption, severity: severity)] = try counts(entry, file: file)
        }
        let corruptedSets = Set(results.compactMap { $0["set"] as? String })
        for entry in sets {
            guard let set = entry["set"] as? String, let classes = ClassSubset(rawValue: entry["classes"] as? String ?? "") else {
                throw IOError(file, "a 'sets' entry lacks 'set' or a known 'classes'")
            }
            result.subsets[set] = classes
            if !corruptedSets.contains(set) { result.counts[EvalKey(set: set)] = try counts(entry, file: file) }
        }
        if let shard = object["shard"] as? [String: Any] {
            guard let index = shard["index"] as? Int, let count = shard["count"] as? Int, count >= 1, index >= 0, index < count else {
                throw IOError(file, "'shard' must hold an index below its count")
            }
            result.shard = Shard(index: index, count: count)
        }
        return result
    }

    private static func counts(_ entry: [String: Any], file: String) throws -> EvalCounts {
        guard let found = entry["found"] as? Int, let evaluated = entry["count"] as? Int, let top1 = entry["top1_correct"] as? Int,
            let top5 = entry["top5_correct"] as? Int, 0 <= top1, top1 <= top5, top5 <= evaluated, evaluated <= found, found <= EvalCounts.limit
        else { throw IOError(file, "counts must satisfy 0 <= top1_correct <= top5_correct <= count <= found <= 2^40") }
        // Reports written before "non_finite" was counted hold none.
        let nonFinite = entry["non_finite"] as? Int ?? 0
        guard nonFinite >= 0, nonFinite <= evaluated - top5 else {
            throw IOError(file, "non_finite must be between 0 and count - top5_correct (such images are counted wrong), found \(nonFinite)")
        }
        return EvalCounts(found: found, evaluated: evaluated, top1: top1, top5: top5, nonFinite: nonFinite)
    }
}
