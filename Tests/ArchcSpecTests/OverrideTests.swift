import XCTest
@testable import ArchcSpec

final class OverrideTests: XCTestCase {
    func testStageDepthOverrideChangesTheNetwork() throws {
        let base = try XCTUnwrap(Repo.compile("specs/robust-resnet-dw-small.yaml").network)
        let deeper = Repo.compile("specs/robust-resnet-dw-small.yaml", overrides: ["stages[2].depth=13"])
        XCTAssertTrue(deeper.succeeded, deeper.diagnostics.rendered())
        let network = try XCTUnwrap(deeper.network)
        XCTAssertEqual(network.stages.map(\.depth), [3, 4, 13, 3])
        XCTAssertEqual(network.macs - base.macs, Compiler.marginalBlockMacs(base, stage: 2))
    }

    func testSpecParameterShortcutAndWildcard() throws {
        let viaParam = try XCTUnwrap(Repo.compile("specs/robust-resnet-dw-small.yaml", overrides: ["kernel=7"]).network)
        let viaWildcard = try XCTUnwrap(Repo.compile("specs/robust-resnet-dw-small.yaml", overrides: ["stages[*].kernel=7"]).network)
        XCTAssertEqual(viaParam.macs, viaWildcard.macs)
        let dw = try XCTUnwrap(viaParam.tensors.first { $0.name == "stages.2.blocks.0.conv_dw.weight" })
        XCTAssertEqual(dw.shape, [384, 1, 7, 7])
    }

    func testListValuesAreReadAsYAML() throws {
        let network = try XCTUnwrap(Repo.compile("specs/robust-resnet-dw-small.yaml", overrides: ["input.size=[160, 192]"]).network)
        XCTAssertEqual(network.stages.count, 4)
        XCTAssertEqual(network.layers.first?.outputShape, .image(channels: 96, height: 10, width: 12))
    }

    func testBadOverridesAreLocatedErrors() {
        let cases: [(String, String)] = [
            ("stages[9].depth=3", "<--set stages[9].depth=3>:1:1: error: index 9 is out of range: the list at specs/tiny/tiny-resnet.yaml:13:3 has 2 entries"),
            ("stagez[0].depth=3", "<--set stagez[0].depth=3>:1:1: error: no key 'stagez' at specs/tiny/tiny-resnet.yaml:2:1; did you mean 'stages'?"),
            ("depth", "<--set depth>:1:1: error: expected key=value, found 'depth'"),
            (
                "stages[x].depth=1",
                "<--set stages[x].depth=1>:1:1: error: cannot read the path 'stages[x].depth'; expected keys joined by '.' with optional [index] or [*]"
            ),
            ("stages[0].depht=2", "<--set stages[0].depht=2>:1:1: error: block 'bottleneck' has no parameter 'depht'; did you mean 'depth'?"),
        ]
        for (assignment, message) in cases {
            let result = Repo.compile("specs/tiny/tiny-resnet.yaml", overrides: [assignment])
            XCTAssertFalse(result.succeeded, assignment)
            XCTAssertEqual(result.diagnostics.errors.first.map { String($0.description.split(separator: "\n")[0]) }, message)
        }
    }

    /// `--set extends=x.yaml` was silently ignored (bases are read before --set applies) and
    /// `--set stages=` compiled a model with no stage: both are errors at the override.
    func testIgnoredOrEmptyOverridesAreErrors() {
        let cases: [(String, String)] = [
            (
                "extends=missing.yaml",
                "<--set extends=missing.yaml>:1:1: error: 'extends' cannot be changed with --set: the base is read before --set applies; edit the file"
            ),
            ("set.depth=2", "<--set set.depth=2>:1:1: error: 'set' cannot be changed with --set: the base is read before --set applies; edit the file"),
            ("stages=", "<--set stages=>:1:1: error: no value after '='; write 'stages=null' if none is meant"),
        ]
        for (assignment, message) in cases {
            let result = Repo.compile("specs/tiny/tiny-resnet.yaml", overrides: [assignment])
            XCTAssertFalse(result.succeeded, assignment)
            XCTAssertEqual(result.diagnostics.errors.first.map { String($0.description.split(separator: "\n")[0]) }, message)
        }
    }

    func testPathParsing() {
        XCTAssertEqual(Override.parsePath("stages[2].depth"), [.key("stages"), .index(2), .key("depth")])
        XCTAssertEqual(Override.parsePath("stages[*].kernel"), [.key("stages"), .every, .key("kernel")])
        XCTAssertEqual(Override.parsePath("a.b.c"), [.key("a"), .key("b"), .key("c")])
        XCTAssertNil(Override.parsePath("a[1"))
        XCTAssertNil(Override.parsePath(""))
        XCTAssertNil(Override.parsePath("a[-1]"))
    }
}
