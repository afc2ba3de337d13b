import Foundation
import XCTest

@testable import ArchcCodegen

/// `--emit swift` names its class after `model:`; any model name must give a class name that
/// parses, is not a keyword, and does not shadow a type the generated file uses.
final class SwiftEmitterTypeNameTests: XCTestCase {
    func testOrdinaryNamesAreCamelCased() {
        XCTAssertEqual(SwiftEmitter.typeName(for: "robust-resnet-dw-small"), "RobustResnetDwSmall")
        XCTAssertEqual(SwiftEmitter.typeName(for: "efficientnet-lite0"), "EfficientnetLite0")
        XCTAssertEqual(SwiftEmitter.typeName(for: "50-layers"), "Model50Layers")
    }

    func testHostileNamesGiveUsableIdentifiers() {
        let expected = [
            "---": "Model", "_": "Model", "\u{1F600}": "Model", "": "Model", "caf\u{E9}-net": "CafNet",
            "self": "SelfModel", "any": "AnyModel", "type": "TypeModel", "float": "FloatModel",
            "generated-model": "GeneratedModelModel", "tensor": "TensorModel", "worker-pool": "WorkerPoolModel",
            "archc-runtime": "ArchcRuntimeModel",
        ]
        for (model, name) in expected {
            XCTAssertEqual(SwiftEmitter.typeName(for: model), name, model)
        }
        for model in ["---", "_", "\u{1F600}\u{1F600}", "self", "Any", "generated_model", "tensor", "x\u{BD}", "9"] {
            let name = SwiftEmitter.typeName(for: model)
            XCTAssertNotNil(name.range(of: "^[A-Z][A-Za-z0-9]*$", options: .regularExpression), "\(model) -> \(name)")
            XCTAssertFalse(SwiftEmitter.reservedTypeNames.contains(name), "\(model) -> \(name)")
        }
    }

    /// The reserved list must name every public type of the modules a generated file imports.
    func testReservedNamesCoverTheRuntimesPublicTypes() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")
        let pattern = try NSRegularExpression(
            pattern: #"^\s*public (?:final )?(?:class|struct|enum|protocol|typealias|actor) ([A-Za-z_0-9]+)"#,
            options: .anchorsMatchLines)
        var found = 0
        for module in ["ArchcRuntime", "ArchcKernels", "ArchcIR", "ArchcCore"] {
            let directory = sources.appendingPathComponent(module)
            let files = try XCTUnwrap(FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil))
            for case let file as URL in files where file.pathExtension == "swift" {
                let text = try String(contentsOf: file, encoding: .utf8)
                for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    let name = String(text[Range(match.range(at: 1), in: text)!])
                    found += 1
                    XCTAssertTrue(SwiftEmitter.reservedTypeNames.contains(name), "\(module) type \(name) is not reserved")
                    XCTAssertNotEqual(SwiftEmitter.typeName(for: name), name, name)
                }
            }
        }
        XCTAssertGreaterThan(found, 40)
    }
}
