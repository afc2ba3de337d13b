import ArchcDriver
import ArchcImage
import Foundation
import XCTest

enum EvalTest {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let images = root.appendingPathComponent("Tests/ArchcImageTests/Fixtures/images").path

    /// A fresh temporary folder, removed at the end of the test.
    static func folder(_ test: XCTestCase) throws -> String {
        let path = NSTemporaryDirectory() + "archc-eval-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Copies `file` to `root/relative`, creating folders.
    static func place(_ file: String, at relative: String, in root: String) throws {
        let target = (root as NSString).appendingPathComponent(relative)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: file, toPath: target)
    }

    /// The tiny 10-class spec with seeded weights, ready to run.
    static func tinyModel() throws -> PreparedModel {
        FileManager.default.changeCurrentDirectoryPath(root.path)
        return try PreparedModel.prepare(spec: "specs/tiny/tiny-robust-dw.yaml", PreparedModel.Options()).get()
    }

    static func evaluator(_ model: PreparedModel, batch: Int = 3, skipBad: Bool = false) -> Evaluator {
        var options = Evaluator.Options()
        options.batch = batch
        options.threads = 1
        options.workers = 2
        options.skipBad = skipBad
        return Evaluator(model: model, preprocessing: try! InputBatch.preprocessing(for: model.compilation.spec!, size: 32), options: options)
    }

    /// A tree of the fixture photos under class folders of the 10-class model: wnids of
    /// classes 0-2 and plain indices 3-4; 11 images.
    static func tree(_ test: XCTestCase) throws -> String {
        let root = try folder(test)
        let photos = ["cat.jpg", "cat-gray.png", "cat-rgba.png"]
        let classes = [ImageNetSynsets.wnids[0], ImageNetSynsets.wnids[1], ImageNetSynsets.wnids[2], "3", "4"]
        var n = 0
        for (c, name) in classes.enumerated() {
            for k in 0..<(c % 3 + 1) {
                let photo = photos[(c + k) % photos.count]
                try place("\(images)/\(photo)", at: "\(name)/img\(n).\((photo as NSString).pathExtension)", in: root)
                n += 1
            }
        }
        // Two more in class 0 so the total (11) is not a multiple of the batch.
        try place("\(images)/cat.jpg", at: "\(classes[0])/extra1.jpg", in: root)
        try place("\(images)/cat-gray.png", at: "\(classes[0])/extra2.png", in: root)
        return root
    }
}
