import ArchcIR
import Foundation

/// The random numbers of the random corruptions, from a seed: uniform, normal (Box-Muller)
/// and Poisson (by products of uniforms; the reference's rates are at most 60).
/// The reference draws from NumPy's generator, so random corruptions match it in
/// distribution, not pixel for pixel.
struct CorruptionRandom: CorruptionDraws {
    var generator: SeededGenerator

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    /// Uniform in [0, 1) with 53 random bits.
    mutating func uniform() -> Double { Double(generator.next() >> 11) / Double(1 << 53) }

    /// An integer in [low, high), as NumPy's randint.
    mutating func integer(_ low: Int, _ high: Int) -> Int { low + Int(generator.next() % UInt64(high - low)) }

    mutating func normal() -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }

    mutating func poisson(_ rate: Double) -> Int {
        guard rate > 0 else { return 0 }
        let limit = exp(-rate)
        var k = 0, product = uniform()
        while product > limit, k < 10_000 {
            k += 1
            product *= uniform()
        }
        return k
    }
}
