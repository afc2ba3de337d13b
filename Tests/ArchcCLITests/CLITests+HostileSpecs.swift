import Foundation
import XCTest

/// Issue 13 through the binary: hostile command-line edits end in a located error and exit 1.
extension CLITests {
    func testHugeDepthOrSizeFromTheCommandLineIsALocatedError() throws {
        // A wrapping block count once looped forever; a huge input size trapped.
        let depth = try archc("compile", "specs/robust-resnet-dw-small.yaml", "--set", "stages[1].depth=9223372036854775807")
        XCTAssertEqual(depth.status, 1)
        XCTAssertEqual(
            depth.stderr,
            "<--set stages[1].depth=9223372036854775807>:1:1: error: stage 1 asks for 9223372036854775807 blocks, more than the limit of 10000\n1 error generated\n"
        )
        let size = try archc("compile", "specs/tiny/tiny-resnet.yaml", "--set", "input.size=9223372036854775807")
        XCTAssertEqual(size.status, 1)
        XCTAssertTrue(size.stderr.contains("overflows 64-bit arithmetic"), size.stderr)
    }
}
