/// A source of the standard draws the random corruptions make: uniform in [0, 1) and
/// normal N(0, 1). archc draws from `CorruptionRandom`; the tests replay NumPy's legacy
/// generator through it to compare snow, elastic_transform and spatter with the reference
/// pixel by pixel.
protocol CorruptionDraws {
    mutating func uniform() -> Double
    mutating func normal() -> Double
}

extension CorruptionDraws {
    /// Uniform in [low, high), as NumPy computes it: low + (high - low) * u.
    mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniform() }
}
