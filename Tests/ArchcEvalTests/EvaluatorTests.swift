import ArchcDriver
import ArchcIO
import ArchcIR
import ArchcImage
import ArchcRuntime
import XCTest

final class EvaluatorTests: XCTestCase {
    func testRankOrdersTiesByIndexAndMasks() {
        let row: ArraySlice<Float> = [0.1, 0.9, 0.5, 0.9, -1, 0.3, 0.2, 0.0][...]
        XCTAssertEqual(Evaluator.rank(of: 1, in: row, allowed: nil), 0)
        XCTAssertEqual(Evaluator.rank(of: 3, in: row, allowed: nil), 1, "a tie goes to the lower index")
        XCTAssertEqual(Evaluator.rank(of: 0, in: row, allowed: nil), 5)
        XCTAssertEqual(Evaluator.rank(of: 0, in: row, allowed: [0, 4, 7]), 0, "classes outside the subset do not count")
        XCTAssertEqual(Evaluator.rank(of: 2, in: row, allowed: [0, 4, 7]), Int.max, "a label outside the subset is never right")
        XCTAssertEqual(Evaluator.rank(of: 9, in: row, allowed: nil), Int.max)
        // A slice that does not start at 0, as a batch's second row is.
        let batch: [Float] = [5, 5, 5, 5, 5, 5, 5, 5] + Array(row)
        XCTAssertEqual(Evaluator.rank(of: 3, in: batch[8..<16], allowed: nil), 1)
    }

    /// The streamed counts equal scoring the same photos batched by `archc run`'s loader.
    /// NaN compares false both ways: a row of NaN ranked every label first, so a model whose
    /// output was all NaN scored 100% top-1; all +inf tied everywhere and label 0 won. Rows
    /// with a non-finite value count as wrong.
    func testNonFiniteRowsRankLast() {
        let nan = Float.nan
        XCTAssertEqual(Evaluator.rank(of: 2, in: [nan, nan, nan, nan][...], allowed: nil), Int.max)
        XCTAssertEqual(Evaluator.rank(of: 2, in: [0.1, nan, 0.9, 0.2][...], allowed: nil), Int.max, "a NaN the label is ranked against")
        XCTAssertEqual(Evaluator.rank(of: 2, in: [0.1, 0.5, nan, 0.2][...], allowed: nil), Int.max, "a NaN label logit")
        XCTAssertEqual(Evaluator.rank(of: 2, in: [0.1, nan, 0.9, 0.2][...], allowed: [0, 2, 3]), 0, "a NaN outside the subset is not ranked against")
        XCTAssertEqual(Evaluator.rank(of: 0, in: [.infinity, .infinity, .infinity][...], allowed: nil), Int.max, "all +inf: label 0 won every tie")
        XCTAssertEqual(Evaluator.rank(of: 0, in: [-.infinity, -.infinity][...], allowed: nil), Int.max)
        XCTAssertEqual(Evaluator.rank(of: 2, in: [0.1, .infinity, 0.9, 0.2][...], allowed: nil), Int.max, "an infinity the label is ranked against")
        XCTAssertEqual(Evaluator.rank(of: 2, in: [0.1, 0.5, 0.9, 0.2][...], allowed: nil), 0)
        // What the non-finite count looks at is what rank compares: a NaN outside the subset
        // is neither (an image scored right was counted non-finite, over what a report may hold).
        XCTAssertFalse(Evaluator.rankedAgainstNonFinite([0.1, nan, 0.9, 0.2][...], allowed: [0, 2, 3]))
        XCTAssertTrue(Evaluator.rankedAgainstNonFinite([0.1, nan, 0.9, 0.2][...], allowed: [1, 2]))
        XCTAssertTrue(Evaluator.rankedAgainstNonFinite([0.1, nan, 0.9, 0.2][...], allowed: nil))
    }

    /// A model whose output is NaN for every image: each counted wrong, the count in the text,
    /// JSON and CSV reports, kept by `eval merge` (it was only a warning on standard error, which
    /// shard parts lose), and the warning names the model.
    func testNonFiniteOutputsAreCountedAndReported() throws {
        let root = try EvalTest.tree(self)
        var model = try EvalTest.tinyModel()
        let head = "head.fc.bias"
        let bias = try XCTUnwrap(model.optimized.constants[head])
        model.optimized.constants[head] = Tensor(dims: bias.dims, data: [Float](repeating: .nan, count: bias.count))
        var job = EvalJob()
        job.sets = [("imagenet", root)]
        let plan = try job.plan(classes: 10)
        var warnings: [String] = []
        let result = try job.run(EvalTest.evaluator(model), plan: plan) { warnings.append($0) }
        XCTAssertEqual(result.total, EvalCounts(found: 11, evaluated: 11, top1: 0, top5: 0, nonFinite: 11))
        XCTAssertEqual(warnings.count, 2, "\(warnings)")
        XCTAssertTrue(warnings.allSatisfy { $0.contains(model.network.name) }, "\(warnings)")
        XCTAssertTrue(EvalReport.text([result]).contains("(11 with NaN or infinite outputs, counted wrong)"), EvalReport.text([result]))
        XCTAssertTrue(EvalReport.csv([result]).hasSuffix(",0.000000,0.000000,11"), EvalReport.csv([result]))
        let back = try EvalResult.parse(Data(result.json.utf8), file: "r.json")
        XCTAssertEqual(back.total, result.total)
        // Reports written before the count hold none; a count beyond the wrong images is refused.
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.json.utf8)) as? [String: Any])
        var sets = try XCTUnwrap(object["sets"] as? [[String: Any]])
        sets[0]["non_finite"] = nil
        object["sets"] = sets
        XCTAssertEqual(try EvalResult.parse(try JSONSerialization.data(withJSONObject: object), file: "r.json").total.nonFinite, 0)
        sets[0]["non_finite"] = 12
        object["sets"] = sets
        XCTAssertThrowsError(try EvalResult.parse(try JSONSerialization.data(withJSONObject: object), file: "r.json")) { error in
            XCTAssertEqual("\(error)", "r.json: error: non_finite must be between 0 and count - top5_correct (such images are counted wrong), found 12")
        }
    }

    /// `archc run` printed a top-5 of NaN logits (whatever came first) and exit 0.
    func testNonFiniteOutputIsNamed() {
        XCTAssertNil(OutputSummary.nonFiniteProblem(Tensor(dims: [2, 3], data: [1, 2, 3, -Float.greatestFiniteMagnitude, 0, 1]), files: []))
        let problem = OutputSummary.nonFiniteProblem(Tensor(dims: [2, 3], data: [1, 2, 3, 4, .nan, .infinity]), files: ["a.png", "b\u{1B}.png"])
        XCTAssertEqual(problem?.hasPrefix("2 of 6 output values are NaN or infinite (the first in image 1 (b\\u{1B}.png))"), true, problem ?? "nil")
        XCTAssertEqual(
            OutputSummary.nonFiniteProblem(Tensor(dims: [1, 2], data: [.nan, 0]), files: [])?.hasPrefix(
                "1 of 2 output values are NaN or infinite (the first in image 0)"),
            true)
    }

    /// A manifest's missing image was reported by its path alone; the user had to search the
    /// (possibly 50,000-line) manifest for it.
    func testManifestImageErrorsNameTheLine() throws {
        let root = try EvalTest.tree(self)
        let csv = root + "/list.csv"
        try "path,label\nn01440764/img0.jpg,0\ngone.png,1\n".write(toFile: csv, atomically: true, encoding: .utf8)
        var job = EvalJob()
        job.sets = [("imagenet", csv)]
        let plan = try job.plan(classes: 10)
        XCTAssertThrowsError(try job.run(EvalTest.evaluator(try EvalTest.tinyModel()), plan: plan)) { error in
            XCTAssertEqual("\(error)", "\(root)/gone.png: error: no such file (listed at \(csv):3)")
        }
    }

    func testCountsMatchDirectRun() throws {
        let root = try EvalTest.tree(self)
        let model = try EvalTest.tinyModel()
        var job = EvalJob()
        job.sets = [("imagenet", root)]
        let plan = try job.plan(classes: 10)
        let result = try job.run(EvalTest.evaluator(model), plan: plan)
        let input = try InputBatch.open(plan.samples.map(\.path), spec: model.compilation.spec!, inputType: model.optimized.inputType)
        XCTAssertEqual(input.batchCount, 1)
        let y = try Engine(graph: model.optimized, batch: plan.samples.count, threads: 1).run(try input.batch(0).tensor)
        let top5 = OutputSummary.topK(y, k: 5)
        let expected1 = zip(plan.samples, top5).filter { $0.0.label == $0.1[0].index }.count
        let expected5 = zip(plan.samples, top5).filter { pair in pair.1.contains { $0.index == pair.0.label } }.count
        XCTAssertEqual(result.total, EvalCounts(found: 11, evaluated: 11, top1: expected1, top5: expected5))
        XCTAssertGreaterThan(expected5, expected1, "the seeded model should get some top-5 but not top-1 right, or the test checks little")
    }

    /// Shards merged give exactly the single run's report, whatever the shard count.
    func testShardedAndMergedEqualsSingleRun() throws {
        let root = try EvalTest.tree(self)
        let model = try EvalTest.tinyModel()
        var job = EvalJob()
        job.sets = [("imagenet", root), ("sketch", root)]
        let plan = try job.plan(classes: 10)
        let single = try job.run(EvalTest.evaluator(model), plan: plan)
        XCTAssertEqual(single.total.found, 22)
        for count in [2, 3, 5] {
            var parts: [(file: String, result: EvalResult)] = []
            for k in (0..<count).reversed() {
                job.shard = Shard(index: k, count: count)
                let part = try job.run(EvalTest.evaluator(model, batch: 4), plan: plan)
                // Through JSON, as `archc eval merge` reads the parts.
                parts.append(("part\(k).json", try EvalResult.parse(Data(part.json.utf8), file: "part\(k).json")))
            }
            let merged = try EvalResult.merge(parts)
            XCTAssertEqual(merged, single)
            XCTAssertEqual(merged.json, single.json)
            XCTAssertThrowsError(try EvalResult.merge(Array(parts.dropFirst()))) { error in
                XCTAssertEqual((error as? IOError)?.message, "missing shard \(count - 1)/\(count)")
            }
            XCTAssertThrowsError(try EvalResult.merge(parts + [parts[0]])) { error in
                XCTAssertEqual((error as? IOError)?.message, "shard \(count - 1)/\(count) is also in part\(count - 1).json")
            }
        }
    }

    /// Counts read from a report are at most 2^40 and their sums are checked: a shard forged
    /// with counts of Int.max trapped on overflow in `archc eval merge` (signal 4).
    func testMergeRefusesCountsPastTheLimit() throws {
        func part(_ index: Int, found: Int) throws -> (file: String, result: EvalResult) {
            let counts = "\"found\": \(found), \"count\": \(found), \"skipped\": 0, \"top1_correct\": 0, \"top5_correct\": 0"
            let json = """
                {"model": "t", "sources": {"imagenet": "ev"}, \(counts), "sets": [{"set": "imagenet", "classes": "all", \(counts)}],
                 "shard": {"index": \(index), "count": 2}}
                """
            return ("p\(index).json", try EvalResult.parse(Data(json.utf8), file: "p\(index).json"))
        }
        let limit = EvalCounts.limit
        XCTAssertEqual(try EvalResult.merge([part(0, found: 3), part(1, found: limit - 3)]).total.found, limit)
        XCTAssertThrowsError(try EvalResult.merge([part(0, found: 4), part(1, found: limit - 3)])) { error in
            XCTAssertEqual((error as? IOError)?.message, "counts of imagenet add up to more than 2^40 images with the shards before it")
            XCTAssertEqual((error as? IOError)?.file, "p1.json")
        }
        for found in [limit + 1, Int.max] {
            XCTAssertThrowsError(try part(1, found: found)) { error in
                XCTAssertEqual((error as? IOError)?.message, "counts must satisfy 0 <= top1_correct <= top5_correct <= count <= found <= 2^40")
            }
        }
    }

    /// A "results" entry of severity 99 was merged and shown nowhere (the table has columns
    /// 1 to 5); one of an unknown corruption was kept likewise. Both name the file.
    func testMergeRefusesSeveritiesAndCorruptionsEvalNeverWrites() {
        func parse(_ corruption: String, _ severity: Int) -> String {
            let counts = "\"found\": 1, \"count\": 1, \"skipped\": 0, \"top1_correct\": 0, \"top5_correct\": 1"
            let json = """
                {"model": "t", "sources": {"imagenet-c": "c"}, \(counts), "sets": [{"set": "imagenet-c", "classes": "all", \(counts)}],
                 "results": [{"set": "imagenet-c", "corruption": "\(corruption)", "severity": \(severity), \(counts)}]}
                """
            do {
                _ = try EvalResult.parse(Data(json.utf8), file: "r.json")
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(parse("fog", 5), "accepted")
        XCTAssertEqual(parse("fog", 99), "r.json: error: a 'results' entry has severity 99; severities are 1 to 5")
        XCTAssertEqual(parse("fog", 0), "r.json: error: a 'results' entry has severity 0; severities are 1 to 5")
        XCTAssertEqual(parse("bogus", 1), "r.json: error: a 'results' entry names 'bogus', not an ImageNet-C corruption")
    }

    /// A model name with a comma, quotes or a leading `=` is one quoted CSV field, never a
    /// formula (`t,"x",=HYPERLINK(1)` shifted the columns and put a formula in one).
    func testCSVFieldsAreQuotedAndNeverFormulas() {
        let counts = [EvalKey(set: "imagenet"): EvalCounts(found: 2, evaluated: 2, top1: 1, top5: 2)]
        for (name, field) in [("t,\"x\",=HYPERLINK(1)", "\"t,\"\"x\"\",=HYPERLINK(1)\""), ("=1+1", "'=1+1"), ("-2", "'-2"), ("plain", "plain")] {
            let csv = EvalReport.csv([EvalResult(model: name, sources: ["imagenet": "ev"], subsets: [:], counts: counts)])
            XCTAssertEqual(csv.split(separator: "\n").last, "\(field),imagenet,,,2,2,1,2,0.500000,1.000000,0"[...], name)
        }
    }

    /// The per-photo heading of `archc run --input DIR` is the file's name: its control
    /// characters are shown escaped, not sent to the terminal.
    func testPredictionHeadingsShowFileNamesEscaped() {
        let text = OutputSummary.predictionsText(Tensor(dims: [1, 3], data: [0, 1, 2]), files: ["x\u{1B}[2Jy.png"], k: 1)
        XCTAssertEqual(text.split(separator: "\n").first, "x\\u{1B}[2Jy.png")
        XCTAssertFalse(text.unicodeScalars.contains("\u{1B}"))
    }

    func testUnreadableImageIsAnErrorOrACountedSkip() throws {
        let root = try EvalTest.tree(self)
        let bad = root + "/n01440764/zz-broken.jpg"
        try FileManager.default.copyItem(atPath: EvalTest.images + "/broken.jpg", toPath: bad)
        let model = try EvalTest.tinyModel()
        var job = EvalJob()
        job.sets = [("imagenet", root)]
        let plan = try job.plan(classes: 10)
        XCTAssertThrowsError(try job.run(EvalTest.evaluator(model), plan: plan)) { error in
            XCTAssertEqual((error as? IOError)?.file, bad)
        }
        var warnings: [String] = []
        let result = try job.run(EvalTest.evaluator(model, skipBad: true), plan: plan) { warnings.append($0) }
        XCTAssertEqual(result.total.found, 12)
        XCTAssertEqual(result.total.evaluated, 11)
        XCTAssertEqual(result.total.skipped, 1)
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].hasPrefix("\(bad): warning: skipped: "), warnings[0])
    }

    /// Every image skipped: an error, not "top-1 0.00% (0 of 1)" with exit 0.
    func testNoImageEvaluatedIsAnError() throws {
        let root = try EvalTest.folder(self)
        try EvalTest.place(EvalTest.images + "/broken.jpg", at: "n01440764/broken.jpg", in: root)
        var job = EvalJob()
        job.sets = [("imagenet", root)]
        let plan = try job.plan(classes: 10)
        XCTAssertThrowsError(try job.run(EvalTest.evaluator(try EvalTest.tinyModel(), skipBad: true), plan: plan)) { error in
            XCTAssertEqual("\(error)", "\(root): error: none of the 1 images could be evaluated (all skipped as unreadable); no accuracy to report")
        }
    }

    func testLabelBeyondTheModelIsNamed() throws {
        let root = try EvalTest.tree(self)
        try EvalTest.place(EvalTest.images + "/cat.jpg", at: "n01530575/x.jpg", in: root)  // class 10
        var job = EvalJob()
        job.sets = [("imagenet", root)]
        XCTAssertThrowsError(try job.plan(classes: 10)) { error in
            XCTAssertEqual((error as? IOError)?.description, "\(root)/n01530575/x.jpg: error: class 10 is beyond the model's 10 classes")
        }
    }

    /// The ImageNet-R mask picks ImageNet indices: a 10-output model kept those of its
    /// classes below 10 and scored them as if it were an ImageNet model.
    func testImageNetRNeedsAThousandClassModel() throws {
        let root = try EvalTest.folder(self)
        let wnid = ImageNetSynsets.wnids[ImageNetSynsets.imagenetR[0]]
        try EvalTest.place(EvalTest.images + "/cat.jpg", at: "\(wnid)/x.jpg", in: root)
        var job = EvalJob()
        job.sets = [("imagenet-r", root)]
        XCTAssertThrowsError(try job.plan(classes: 10)) { error in
            XCTAssertEqual(
                (error as? IOError)?.description,
                "\(root): error: imagenet-r scores the 200 of its classes among a 1000-class ImageNet model's outputs; this model has 10")
        }
        XCTAssertEqual(try job.plan(classes: 1000).samples.count, 1)
    }
}

extension EvaluatorTests {
    /// Corrupting on the fly gives the counts of an ImageNet-C tree made from the same
    /// corrupted images: saved as JPEGs of quality 85 as ImageNet-C's are (the default), or
    /// as PNGs, which keep the 8 bits exactly, with `--resave-jpeg off`.
    func testOnTheFlyEqualsImageNetCLayout() throws {
        let root = try EvalTest.tree(self)
        let model = try EvalTest.tinyModel()
        for quality in [85, nil] as [Int?] {
            var job = EvalJob()
            job.sets = [("imagenet", root)]
            job.corruptions = (["contrast", "pixelate"], [2, 5])
            job.resaveQuality = quality
            let onTheFly = try job.run(EvalTest.evaluator(model), plan: try job.plan(classes: 10))
            let treeC = try EvalTest.folder(self)
            for sample in try EvalDataset.load(root, set: "imagenet").samples {
                let image = try DecodedImage.read(sample.path)
                for name in ["contrast", "pixelate"] {
                    for severity in [2, 5] {
                        let corrupted = try Corruption(rawValue: name)!.imagenetC(image, severity: severity, seed: 0)
                        let folder = "\(treeC)/\(name)/\(severity)/\(ImageNetSynsets.wnids[sample.label])"
                        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                        let file = "\(folder)/\((sample.path as NSString).lastPathComponent)"
                        let bytes = try XCTUnwrap(quality.map { corrupted.jpegData(quality: $0).map { Data($0) } } ?? corrupted.pngData())
                        try bytes.write(to: URL(fileURLWithPath: file + (quality == nil ? ".png" : ".JPEG")))
                    }
                }
            }
            var layout = EvalJob()
            layout.imagenetC = treeC
            let fromDisk = try layout.run(EvalTest.evaluator(model), plan: try layout.plan(classes: 10))
            XCTAssertEqual(onTheFly.corrupted.count, 4)
            for (key, counts) in onTheFly.corrupted {
                XCTAssertEqual(
                    fromDisk.counts[EvalKey(set: "imagenet-c", corruption: key.corruption, severity: key.severity)], counts,
                    "\(key) \(String(describing: quality))")
            }
        }
        // The corruption did change the pixels the model saw.
        let image = try DecodedImage.read(EvalTest.images + "/cat.jpg")
        XCTAssertNotEqual(
            try Corruption.contrast.imagenetC(image, severity: 5, seed: 0).pixels, try Preprocessing.centreCrop(image, resize: 256, crop: 224).pixels)
    }

    /// --profile's figures: every image and batch counted, every stage non-negative.
    func testProfileCountsImagesAndBatches() throws {
        let root = try EvalTest.tree(self)
        let model = try EvalTest.tinyModel()
        var job = EvalJob()
        job.sets = [("imagenet", root)]
        var profiles: [EvalProfile] = []
        _ = try job.run(EvalTest.evaluator(model, batch: 4), plan: try job.plan(classes: 10), profile: { profiles.append($0) })
        let profile = try XCTUnwrap(profiles.first)
        XCTAssertEqual(profiles.count, 1)
        XCTAssertEqual([profile.images, profile.batches, profile.workers, profile.threads], [11, 3, 2, 1])
        for stage in [profile.decode, profile.corrupt, profile.resize, profile.model, profile.waiting, profile.batching] {
            XCTAssertGreaterThanOrEqual(stage, 0)
        }
        XCTAssertGreaterThan(profile.decode, 0)
        XCTAssertGreaterThan(profile.model, 0)
        XCTAssertLessThanOrEqual(profile.model + profile.waiting + profile.batching, profile.seconds * 1.001 + 1e-6)
        XCTAssertTrue(profile.text.hasPrefix("profile: 11 images in 3 batches, "), profile.text)
        XCTAssertEqual(profile.batch, 4)
        // A batch larger than the images runs at the images' count, with the same counts.
        var large: [EvalProfile] = []
        let plan = try job.plan(classes: 10)
        let counts = try job.run(EvalTest.evaluator(model, batch: 4096), plan: plan, profile: { large.append($0) })
        XCTAssertEqual([large.first?.batch, large.first?.batches], [11, 1])
        XCTAssertEqual(counts, try job.run(EvalTest.evaluator(model, batch: 4), plan: plan))
    }
}

extension EvaluatorTests {
    static func plotResult(_ model: String, _ top1: [Int]) -> EvalResult {
        var r = EvalResult(model: model, sources: ["imagenet": "x", "corrupted": "y"], subsets: [:])
        r.counts[EvalKey(set: "imagenet")] = EvalCounts(found: 4, evaluated: 4, top1: 4, top5: 4)
        for (name, offset) in [("fog", 0), ("brightness", 1)] {
            for s in 1...5 {
                r.counts[EvalKey(set: "corrupted", corruption: name, severity: s)] = EvalCounts(
                    found: 4, evaluated: 4, top1: top1[s - 1] - offset * min(1, top1[s - 1]), top5: 4)
            }
        }
        return r
    }

    static let plotResults = [plotResult("a<b", [4, 3, 2, 1, 0]), plotResult("c", [4, 4, 4, 4, 4])]

    /// Two models, two corruptions: a panel per corruption, a line per model through the
    /// clean point and each severity at the right height.
    func testSeverityPlot() throws {
        let svg = try XCTUnwrap(SeverityPlot.svg(Self.plotResults))
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 4)
        XCTAssertTrue(svg.contains(">brightness</text>") && svg.contains(">fog</text>"))
        XCTAssertLessThan(svg.range(of: ">fog<")!.lowerBound, svg.range(of: ">brightness<")!.lowerBound, "panels in the benchmark's order")
        XCTAssertTrue(svg.contains("a&lt;b"))
        // Model a on fog (first panel, x0 = 10): clean 100% at y 26, severity 5 at 0% (y 126).
        XCTAssertTrue(svg.contains("points=\"58.0,26.0 82.8,26.0 107.6,51.0 132.4,76.0 157.2,101.0 182.0,126.0\""), svg)
        XCTAssertNil(SeverityPlot.svg([EvalResult(model: "m", sources: [:], subsets: [:])]))
    }

    /// The PNG: the SVG's size times 2, a valid PNG of those pixels, and model a's colour
    /// where its fog line ends (severity 5, 0%: SVG (182, 126)), the gridline's grey on the
    /// 50% line away from the models' lines, white outside the panels.
    func testSeverityPlotAsPNG() throws {
        let image = try XCTUnwrap(SeverityPlot.raster(Self.plotResults))
        let svg = try XCTUnwrap(SeverityPlot.svg(Self.plotResults))
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"400\" height=\"202\""), svg)
        XCTAssertEqual([image.width, image.height], [800, 404])
        let png = try XCTUnwrap(image.pngData())
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertEqual(try DecodedImage.decode(Array(png), file: "plot.png").pixels, image.pixels)
        let pixel = { (x: Int, y: Int) in Array(image.pixels[(y * image.width + x) * 3..<(y * image.width + x) * 3 + 3]) }
        XCTAssertEqual(pixel(364, 252), [0x1F, 0x77, 0xB4], "model a at fog severity 5")
        XCTAssertEqual(pixel(2 * 60, 2 * 76), [0xDD, 0xDD, 0xDD], "the 50% gridline of the first panel")
        XCTAssertEqual(pixel(2 * 120, 2 * 40), [0xFF, 0xFF, 0xFF], "empty plot area")
        XCTAssertEqual(pixel(2 * 30, 2 * 176), [0xD6, 0x27, 0x28], "model c's legend line (legend at y 160 + 16)")
        XCTAssertNil(SeverityPlot.raster([EvalResult(model: "m", sources: [:], subsets: [:])]))
    }
}
