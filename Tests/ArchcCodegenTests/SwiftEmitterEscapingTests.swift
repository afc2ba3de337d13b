import ArchcCodegen
import ArchcIR
import ArchcLowering
import ArchcSpec
import Foundation
import XCTest

/// `--emit swift` writes model, layer and tensor names, the spec's path and the command into
/// Swift source. The spec layer refuses names with control characters; this test goes
/// around it (editing an elaborated network) to prove the emitter escapes on its own.
final class SwiftEmitterEscapingTests: XCTestCase {
    func testNoNameCanInjectADeclaration() throws {
        var options = ElaborationOptions()
        options.directory = GeneratedCodeTests.root.path
        var network = try XCTUnwrap(Compiler.compile(path: "specs/tiny/tiny-resnet.yaml", options: options).network)
        network.name = "tiny\nstruct InjectedByModelName {}"
        network.file = "x.yaml\"; let injectedBySpecPath = 1 //"
        network.layers[0].name = "stem\r\nlet injectedByLayerName = 0"
        let weight = "stem.weight\"\n, \"\"); let injectedByTensorName = 0 // \\(1)"
        network.layers[0].tensors[0].name = weight
        let graph = try Lowering.lower(network)
        let source = SwiftEmitter.emit(graph, network: network, typeName: "Tiny", command: "archc compile x.yaml\u{2028}let injectedByCommand = 0")

        // Each hostile name stayed on its comment line or inside its string literal.
        for line in source.components(separatedBy: .newlines) {
            let code = line.trimmingCharacters(in: .whitespaces)
            XCTAssertFalse(code.hasPrefix("struct Injected") || code.hasPrefix("let injected"), "injected line: \(line)")
        }
        XCTAssertFalse(source.contains("\u{2028}"))
        XCTAssertTrue(source.contains(#"public static let specPath = "x.yaml\"; let injectedBySpecPath = 1 //""#), source)
        XCTAssertTrue(source.contains(#""stem.weight\"\u{A}, \"\"); let injectedByTensorName = 0 // \\(1)""#), source)
        XCTAssertTrue(source.contains(#"// model tiny\u{A}struct InjectedByModelName {} from"#), source)
        XCTAssertTrue(source.contains(#"// regenerate: archc compile x.yaml\u{2028}let injectedByCommand = 0"#), source)
    }
}
