import ArchcIO
import ArchcImage
import ArgumentParser
import Foundation

/// `archc corrupt IMAGE --corruption NAME --severity S -o OUT.png`: one corrupted image.
struct Corrupt: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply one ImageNet-C corruption to an image (as given, no crop) and write a PNG.",
        discussion:
            "Corruptions: \(Corruption.allCases.map(\.rawValue).joined(separator: ", ")). frost reads its texture photos from --frost-dir,"
            + " else $\(FrostTextures.environmentVariable), else \(FrostTextures.defaultDirectory) (tools/fetch-frost-textures.sh fetches them)."
    )

    @Argument(help: "A PNG or JPEG image.")
    var image: String

    @Option(help: "The corruption, named as in Hendrycks & Dietterich's code (e.g. gaussian_noise).")
    var corruption: String

    @Option(parsing: .unconditional, help: "Severity, 1 to 5.")
    var severity: Int

    @Option(parsing: .unconditional, help: "Seed of the random corruptions (noise, fog).")
    var seed: UInt64 = 0

    @Option(name: .customLong("frost-dir"), help: ArgumentHelp("Folder of frost's texture photos frost1.png ... frost5.jpg.", valueName: "dir"))
    var frostDir: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The corrupted image (PNG, written whole or not at all).", valueName: "file.png"))
    var output: String

    func validate() throws {
        guard Corruption(rawValue: corruption) != nil else {
            let known = Corruption.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("corruption '\(corruption)' is unknown; available: \(known)")
        }
        guard (1...5).contains(severity) else { throw ValidationError("--severity must be between 1 and 5, found \(severity)") }
        // The output is PNG bytes: a name that says otherwise (x.jpg) would mislabel them.
        let name = URL(fileURLWithPath: output).lastPathComponent.lowercased()
        guard name.hasSuffix(".png") || output.hasPrefix("/dev/") else {
            throw ValidationError("-o must name a .png file (the corrupted image is written as PNG), found '\(output)'")
        }
        do { try AtomicFile.checkNotAnInput(output, option: "-o", inputs: [image] + (frostDir.map { [$0] } ?? [])) } catch {
            throw ValidationError((error as? IOError)?.message ?? "\(error)")
        }
    }

    func run() throws {
        do {
            let chosen = Corruption(rawValue: corruption)!
            let textures = chosen == .frost ? try FrostTextures.load(directory: FrostTextures.directory(frostDir)) : nil
            let decoded = try DecodedImage.read(image)
            guard decoded.width * decoded.height <= Corruption.maximumPixels else {
                throw IOError(image, Corruption.tooLarge(width: decoded.width, height: decoded.height))
            }
            let corrupted = try chosen.apply(FloatImage(decoded), severity: severity, seed: seed, frost: textures).decoded
            guard let png = corrupted.pngData() else { throw IOError(output, "cannot encode the PNG") }
            try AtomicFile.write(png, to: output)
        } catch let failure as DecodedImage.Failure {
            evalFail(failure.description)
        } catch let error as IOError {
            evalFail(error.description)
        }
    }
}
