import XCTest
@testable import ArchcSpec

final class ExpressionTests: XCTestCase {
    /// A value, or "column: message".
    enum Outcome: Equatable {
        case success(Int)
        case failure(String)

        func get() throws -> Int {
            guard case .success(let value) = self else { throw NSError(domain: "eval", code: 1) }
            return value
        }
    }

    private func eval(_ text: String, _ values: [String: Value] = [:]) -> Outcome {
        switch ExprParser.parse(text) {
        case .failure(let failure): return .failure("\(failure.column): \(failure.message)")
        case .success(let expr):
            switch Scope(values, owner: "test").evaluate(expr) {
            case .success(let value): return .success(value)
            case .failure(.at(let column, let message)): return .failure("\(column): \(message)")
            }
        }
    }

    func testArithmeticFollowsPrecedenceAndFloorDivision() {
        XCTAssertEqual(try eval("dim * ratio", ["dim": .int(96), "ratio": .int(4)]).get(), 384)
        XCTAssertEqual(try eval("kernel // 2", ["kernel": .int(11)]).get(), 5)
        XCTAssertEqual(try eval("1 + 2 * 3 - 4").get(), 3)
        XCTAssertEqual(try eval("(1 + 2) * 3").get(), 9)
        XCTAssertEqual(try eval("-7 // 2").get(), -4, "floor division, as Python")
        XCTAssertEqual(try eval("-7 % 3").get(), 2, "floor modulo, as Python")
        XCTAssertEqual(try eval("max(3, min(10, 7), 5)").get(), 7)
        XCTAssertEqual(try eval("1_000 * 2").get(), 2000)
    }

    func testErrorsNameTheColumn() {
        XCTAssertEqual(eval("8 // 0"), .failure("2: division by zero in '(8 // 0)'"))
        XCTAssertEqual(eval("9223372036854775807 + 1"), .failure("20: integer overflow in '(9223372036854775807 + 1)'"))
        XCTAssertEqual(eval("16 / 2"), .failure("3: '/' is not integer division; use '//'"))
        XCTAssertEqual(eval("dimm * 2", ["dim": .int(1)]), .failure("0: unknown name 'dimm' in test; did you mean 'dim'?"))
        XCTAssertEqual(eval("(1 + "), .failure("5: expression ends early, expected a number or a name"))
        XCTAssertEqual(eval("2 $ 3"), .failure("2: unexpected '$' in expression '2 $ 3'"))
        XCTAssertEqual(eval("act + 1", ["act": .string("relu")]), .failure("0: 'act' is a str, expected an int in an expression"))
        XCTAssertEqual(eval("99999999999999999999"), .failure("0: integer '99999999999999999999' is too large"))
    }

    func testModuloByTheMostNegativeIntegerIsExact() {
        // Once computed a - (q - 1) * b, whose product overflowed (trap) for b = -2^63.
        XCTAssertEqual(eval("1 % (0 - 9223372036854775807 - 1)"), .success(-9_223_372_036_854_775_807))
        XCTAssertEqual(eval("1 // (0 - 9223372036854775807 - 1)"), .success(-1))
        XCTAssertEqual(eval("-1 % 9223372036854775807"), .success(9_223_372_036_854_775_806))
        XCTAssertEqual(eval("(0 - 9223372036854775807 - 1) % -1"), .failure("30: integer overflow in '(((0 - 9223372036854775807) - 1) % -1)'"))
    }

    func testAnExpressionOneCharacterOverTheLengthLimitIsRefused() {
        let limit = SpecLimits.expressionLength
        // limit / 2 terms (the evaluator recurses through every operator), padded to the limit.
        var atLimit = String(repeating: "1+", count: limit / 2 - 1) + "1"
        atLimit += String(repeating: " ", count: limit - atLimit.count)
        XCTAssertEqual(eval(atLimit), .success(limit / 2))
        XCTAssertEqual(eval(atLimit + " "), .failure("0: expression is \(limit + 1) characters long, more than the limit of \(limit)"))
    }

    func testDeepNestingIsRefusedNotOverflowed() {
        // 65 levels: one over the limit, well inside the length limit.
        let deep = String(repeating: "(", count: 65) + "1" + String(repeating: ")", count: 65)
        guard case .failure(let message) = eval(deep) else { return XCTFail("deep nesting accepted") }
        XCTAssertTrue(message.contains("nested more than 64 levels deep"), message)
        let negations = String(repeating: "-", count: 100_000) + "1"
        guard case .failure = eval(negations) else { return XCTFail("100k unary minus accepted") }
    }

    func testBandedDistanceAgreesWithTheFullDistanceWithinItsBound() {
        func full(_ a: String, _ b: String) -> Int {
            let x = Array(a), y = Array(b)
            var d = (0...y.count).map { [$0] + [Int](repeating: 0, count: x.count) }
            for i in 0...x.count { d[0][i] = i }
            for j in 1..<(y.count + 1) {
                for i in 1..<(x.count + 1) { d[j][i] = min(d[j - 1][i] + 1, d[j][i - 1] + 1, d[j - 1][i - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)) }
            }
            return d[y.count][x.count]
        }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let a = String((0..<Int.random(in: 0...9, using: &random)).map { _ in "abc".randomElement(using: &random)! })
            let b = String((0..<Int.random(in: 0...9, using: &random)).map { _ in "abc".randomElement(using: &random)! })
            for bound in 0...3 {
                let expected = full(a, b)
                XCTAssertEqual(Suggestion.distance(a, b, atMost: bound), expected <= bound ? expected : nil, "'\(a)' '\(b)' bound \(bound)")
            }
        }
    }

    func testNoSuggestionsFromHugeVocabulariesOrForHugeWords() {
        // 3,000 unknown blocks among 3,000 defined ones, 200 characters each, took minutes.
        let many = (0..<200).map { "block-\($0)" }
        XCTAssertEqual(Suggestion.closest(to: "block-7x", among: Array(many.prefix(SpecLimits.suggestionCandidates))), "block-7")
        XCTAssertNil(Suggestion.closest(to: "block-7x", among: many))
        let long = String(repeating: "k", count: SpecLimits.suggestionWordLength + 1)
        XCTAssertNil(Suggestion.closest(to: long, among: [long + "x"]))
    }

    func testSuggestionsPickTheClosestKnownWord() {
        XCTAssertEqual(Suggestion.closest(to: "kernal", among: ["kernel", "stride", "dim"]), "kernel")
        XCTAssertEqual(Suggestion.closest(to: "stagez", among: ["stages", "stem"]), "stages")
        XCTAssertNil(Suggestion.closest(to: "zzzzzz", among: ["kernel", "stride"]))
    }
}
