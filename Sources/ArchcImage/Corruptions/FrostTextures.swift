import ArchcIO
import Foundation

/// The five frost photos ImageNet-C's frost blends into images (frost1.png ... frost5.jpg
/// of Hendrycks & Dietterich's code; corrupt-tta ships them too). Not part of archc: their
/// licence is not stated, so they are fetched (`tools/fetch-frost-textures.sh`) and found
/// by `--frost-dir`, the `ARCHC_FROST_DIR` environment variable, or `.cache/frost`.
public struct FrostTextures: Sendable {
    /// The reference draws one of these five; corrupt-tta's sixth (frost6.jpg) is never drawn there.
    public static let fileNames = ["frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg"]
    public static let environmentVariable = "ARCHC_FROST_DIR"
    public static let defaultDirectory = ".cache/frost"

    public var images: [DecodedImage]

    public init(images: [DecodedImage]) { self.images = images }

    /// The folder to read: the given one, else the environment variable's, else the default.
    public static func directory(_ given: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        given ?? environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 } ?? defaultDirectory
    }

    /// Most pixels on a texture's side, and the most its longer side may be of its shorter.
    /// ImageNet-C's are 527x350 to 900x600. A photo smaller than the image is scaled up to
    /// cover it keeping its shape: a 20000x1 texture covering 300x300 asked for 5.4 GB.
    public static let maximumSide = 4096, maximumAspect = 4

    static func checkSize(_ image: DecodedImage, path: String) throws {
        let (long, short) = (max(image.width, image.height), min(image.width, image.height))
        guard long <= maximumSide, long <= short * maximumAspect else {
            throw IOError(
                path,
                "frost texture of \(image.width)x\(image.height) pixels is outside the accepted size (each side at most \(maximumSide) pixels, "
                    + "the longer at most \(maximumAspect) times the shorter, docs/limits.md)")
        }
    }

    /// Reads the five textures; a missing one is an error naming its path and how to get it.
    public static func load(directory: String) throws -> FrostTextures {
        var images: [DecodedImage] = []
        for name in fileNames {
            let path = (directory as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: path) else {
                throw IOError(
                    path,
                    "frost texture not found: frost needs \(fileNames.joined(separator: ", ")) in \(directory)"
                        + " (tools/fetch-frost-textures.sh fetches them; point --frost-dir or \(environmentVariable) at their folder)")
            }
            let image: DecodedImage
            do { image = try DecodedImage.read(path) } catch let failure as DecodedImage.Failure { throw IOError(path, failure.message) }
            try checkSize(image, path: path)
            images.append(image)
        }
        return FrostTextures(images: images)
    }
}
