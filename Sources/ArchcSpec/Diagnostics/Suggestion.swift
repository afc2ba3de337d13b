/// "Did you mean" suggestions: the closest known word by edit distance, if close enough.
///
/// A hostile spec can ask for thousands of suggestions (one per unknown block of thousands
/// of stages) among thousands of candidates: 3,000 x 3,000 names of 200 characters took
/// minutes. Suggestions are for typos in small vocabularies, so words longer than
/// `SpecLimits.suggestionWordLength` or vocabularies larger than
/// `SpecLimits.suggestionCandidates` get none, and the distance is computed only within
/// the band it may be accepted in.
public enum Suggestion {

    /// The candidate nearest to `word`, or nil when none is within a third of its length (min 1, max 3).
    public static func closest(to word: String, among candidates: [String]) -> String? {
        guard word.unicodeScalars.count <= SpecLimits.suggestionWordLength, candidates.count <= SpecLimits.suggestionCandidates else { return nil }
        let limit = max(1, min(3, word.count / 3 + 1))
        let lowered = word.lowercased()
        var best: (String, Int)?
        for candidate in candidates.sorted() {
            guard let d = distance(lowered, candidate.lowercased(), atMost: limit) else { continue }
            if d < (best?.1 ?? Int.max) { best = (candidate, d) }
        }
        return best?.0
    }

    /// The suffix "; did you mean 'x'?" or an empty string.
    public static func hint(for word: String, among candidates: [String]) -> String {
        closest(to: word, among: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// Levenshtein distance when it is at most `bound`, else nil. Two rows at a time, and
    /// only the diagonal band |i - j| <= bound: a cell outside it is already over the bound.
    static func distance(_ a: String, _ b: String, atMost bound: Int) -> Int? {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        guard abs(x.count - y.count) <= bound else { return nil }
        if x.isEmpty || y.isEmpty { return max(x.count, y.count) }
        let over = bound + 1
        var previous = (0...y.count).map { min($0, over) }
        var current = [Int](repeating: over, count: y.count + 1)
        for i in 1...x.count {
            let low = max(1, i - bound), high = min(y.count, i + bound)
            current[0] = min(i, over)
            current[low - 1] = low == 1 ? current[0] : over
            var rowMinimum = current[low - 1]
            for j in low...high {
                let substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution, over)
                rowMinimum = min(rowMinimum, current[j])
            }
            if high < y.count { current[high + 1] = over }
            if rowMinimum > bound { return nil }
            swap(&previous, &current)
        }
        return previous[y.count] <= bound ? previous[y.count] : nil
    }
}
