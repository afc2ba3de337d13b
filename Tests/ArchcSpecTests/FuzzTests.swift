import XCTest
@testable import ArchcSpec

/// Mutated, truncated and random inputs never crash or hang the spec layer, and every
/// failure is a located error.
final class FuzzTests: XCTestCase {
    private struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
    }

    private let fragments = [
        "{", "}", "[", "]", ":", "- ", "&a ", "*a", "\n", "  ", "\t", "'", "\"", "//", "0", "-1",
        "99999999999999999999", "kernel", "depth: 0", "groups: 7", "stride: 3", "null", "~", "#", "?", "!!str", "%",
    ]

    private func check(_ bytes: [UInt8], _ label: String) {
        let diagnostics = DiagnosticEngine()
        switch YAMLLoader.parse(bytes: bytes, file: "fuzz.yaml") {
        case .failure(let error):
            XCTAssertGreaterThanOrEqual(error.location.line, 1, label)
            XCTAssertGreaterThanOrEqual(error.location.column, 1, label)
        case .success(let root):
            guard var spec = SpecParser(diagnostics: diagnostics).parseModel(root) else {
                XCTAssertTrue(diagnostics.hasErrors, label)
                return
            }
            for (block, _) in SpecParser(diagnostics: diagnostics).parseBlocks(root["blocks"]) { spec.blocks[block.name] = block }
            let result = Compiler.elaborate(spec, into: Compilation(spec: spec, diagnostics: diagnostics))
            if !result.succeeded {
                XCTAssertTrue(diagnostics.hasErrors, "\(label): failed without an error")
                for error in diagnostics.errors {
                    XCTAssertGreaterThanOrEqual(error.location.line, 1, label)
                }
            }
        }
    }

    func testMutatedSpecsNeverCrash() throws {
        var rng = SplitMix(state: 2023)
        let seeds = ["specs/tiny/tiny-robust-dw.yaml", "specs/resnet50.yaml", "specs/blocks/robust.yaml", "specs/deit-small.yaml"]
        let robustBlocks = try String(contentsOf: Repo.specs.appendingPathComponent("blocks/robust.yaml"), encoding: .utf8)
        let vitBlocks = try String(contentsOf: Repo.specs.appendingPathComponent("blocks/vit.yaml"), encoding: .utf8)
        for seed in seeds {
            var text = try String(contentsOf: Repo.root.appendingPathComponent(seed), encoding: .utf8)
            // Inline the imported blocks so mutations reach them too.
            if seed.hasSuffix("tiny-robust-dw.yaml") {
                text =
                    text.replacingOccurrences(of: "import: [../blocks/robust.yaml]\n", with: "") + "\n" + robustBlocks.replacingOccurrences(of: "#", with: "##")
            }
            if seed.hasSuffix("deit-small.yaml") {
                text = text.replacingOccurrences(of: "import: [blocks/vit.yaml]\n", with: "") + "\n" + vitBlocks
            }
            let original = Array(text.utf8)
            for round in 0..<150 {
                var bytes = original
                for _ in 0...rng.below(4) {
                    switch rng.below(5) {
                    case 0: bytes = Array(bytes.prefix(rng.below(bytes.count)))
                    case 1: if !bytes.isEmpty { bytes[rng.below(bytes.count)] = UInt8(truncatingIfNeeded: rng.next()) }
                    case 2:
                        let at = rng.below(bytes.count + 1)
                        bytes.insert(contentsOf: Array(fragments[rng.below(fragments.count)].utf8), at: at)
                    case 3:
                        if bytes.count > 2 {
                            let a = rng.below(bytes.count), b = min(bytes.count, a + rng.below(40))
                            bytes.removeSubrange(a..<b)
                        }
                    default:
                        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                        if lines.count > 2 {
                            var shuffled = Array(lines)
                            shuffled.swapAt(rng.below(lines.count), rng.below(lines.count))
                            bytes = Array(shuffled.joined(separator: [UInt8(ascii: "\n")]))
                        }
                    }
                }
                check(bytes, "\(seed) round \(round)")
            }
        }
    }

    func testRandomBytesNeverCrash() {
        var rng = SplitMix(state: 7)
        for round in 0..<300 {
            let count = rng.below(300)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            check(bytes, "random round \(round)")
        }
    }

    func testAliasBombIsRefusedQuickly() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<12 { text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]\n" }
        let start = Date()
        guard case .failure(let error) = YAMLLoader.parse(bytes: Array(text.utf8), file: "bomb.yaml") else { return XCTFail("bomb accepted") }
        XCTAssertTrue(error.message.contains("alias bomb"), error.message)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "refusal should take milliseconds")
    }
}
