import ArchcIO
import Foundation

/// The ImageNet-C corruptions (Hendrycks & Dietterich, ICLR 2019), named and parameterised
/// as in their reference code: severity 1-5 picks a row of each corruption's constants.
/// Deterministic ones follow the reference's arithmetic (compared pixel by pixel with the
/// PyPI port corrupt-tta); random ones draw from a seeded generator (compared in
/// distribution, and snow, elastic_transform and spatter also pixel by pixel with NumPy's
/// draws replayed). The 15 benchmark corruptions and the 4 extras (speckle_noise,
/// gaussian_blur, spatter, saturate) are all here.
public enum Corruption: String, CaseIterable, Sendable {
    case gaussianNoise = "gaussian_noise"
    case shotNoise = "shot_noise"
    case impulseNoise = "impulse_noise"
    case speckleNoise = "speckle_noise"
    case gaussianBlur = "gaussian_blur"
    case glassBlur = "glass_blur"
    case motionBlur = "motion_blur"
    case defocusBlur = "defocus_blur"
    case zoomBlur = "zoom_blur"
    case fog
    case brightness
    case contrast
    case saturate
    case pixelate
    case jpegCompression = "jpeg_compression"
    case snow
    case frost
    case elasticTransform = "elastic_transform"
    case spatter

    /// Most pixels of an image to corrupt: 2048 x 2048. ImageNet-C corrupts 224 x 224 crops;
    /// the blurs and snow hold several float copies of the image, so a 7000 x 7000 photo took
    /// 2.9 GB and 42 s (zoom blur) to over a minute (snow).
    public static let maximumPixels = 2048 * 2048

    /// Why an image of `width` x `height` is refused.
    public static func tooLarge(width: Int, height: Int) -> String {
        "an image of \(width)x\(height) pixels is larger than corruptions take (at most 2048x2048 = \(maximumPixels) pixels, docs/limits.md)"
    }

    public var isRandom: Bool {
        ![.gaussianBlur, .defocusBlur, .zoomBlur, .brightness, .contrast, .saturate, .pixelate, .jpegCompression].contains(self)
    }

    /// The corrupted image; `seed` drives the random corruptions, `frost` holds the textures
    /// frost blends in (`FrostTextures.load`). A severity outside 1-5 or frost without its
    /// textures is an error.
    public func apply(_ image: FloatImage, severity: Int, seed: UInt64 = 0, frost textures: FrostTextures? = nil) throws -> FloatImage {
        guard (1...5).contains(severity) else { throw IOError(rawValue, "severity must be between 1 and 5, found \(severity)") }
        guard image.width * image.height <= Self.maximumPixels else {
            throw IOError(rawValue, Self.tooLarge(width: image.width, height: image.height))
        }
        let s = severity - 1
        var random = CorruptionRandom(seed: seed)
        switch self {
        case .gaussianNoise: return Self.gaussianNoise(image, [0.08, 0.12, 0.18, 0.26, 0.38][s], &random)
        case .shotNoise: return Self.shotNoise(image, [60, 25, 12, 5, 3][s], &random)
        case .impulseNoise: return Self.impulseNoise(image, [0.03, 0.06, 0.09, 0.17, 0.27][s], &random)
        case .speckleNoise: return Self.speckleNoise(image, [0.15, 0.2, 0.35, 0.45, 0.6][s], &random)
        case .gaussianBlur: return Self.gaussianBlur(image, sigma: [1, 2, 3, 4, 6][s])
        case .glassBlur: return Self.glassBlur(image, [(0.7, 1, 2), (0.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2)][s], &random)
        case .motionBlur: return Self.motionBlur(image, radius: [10, 15, 15, 15, 20][s], &random)
        case .defocusBlur: return Self.defocusBlur(image, [(3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5)][s])
        case .zoomBlur: return Self.zoomBlur(image, Self.zoomFactors[s])
        case .fog: return Self.fog(image, [(1.5, 2), (2, 2), (2.5, 1.7), (2.5, 1.5), (3, 1.4)][s], &random)
        case .brightness: return Self.brightness(image, [0.1, 0.2, 0.3, 0.4, 0.5][s])
        case .contrast: return Self.contrast(image, [0.4, 0.3, 0.2, 0.1, 0.05][s])
        case .saturate: return Self.saturate(image, [(0.3, 0), (0.1, 0), (2, 0), (5, 0.1), (20, 0.2)][s])
        case .pixelate: return Self.pixelate(image, [0.6, 0.5, 0.4, 0.3, 0.25][s])
        case .jpegCompression: return Self.jpeg(image, quality: [25, 18, 15, 10, 7][s])
        case .snow: return Self.snow(image, Self.snowParameters[s], &random)
        case .frost:
            guard let textures else { throw IOError(rawValue, "frost needs its texture images (FrostTextures.load)") }
            return Self.frost(image, Self.frostWeights[s], textures, &random)
        case .elasticTransform: return Self.elasticTransform(image, Self.elasticParameters[s], &random)
        case .spatter: return Self.spatter(image, Self.spatterParameters[s], &random)
        }
    }

    /// ImageNet-C's recipe for one photo: shorter side to 256 (bilinear), centre crop
    /// 224, corrupt, clip and truncate to 8 bits (the distributed files are then JPEG
    /// quality 85; that last lossy step is not repeated here).
    public func imagenetC(_ image: DecodedImage, severity: Int, seed: UInt64, frost: FrostTextures? = nil, file: String = "image") throws -> DecodedImage {
        let crop = try Preprocessing.centreCrop(image, resize: 256, crop: 224, file: file)
        return try apply(FloatImage(crop), severity: severity, seed: seed, frost: frost).decoded
    }
}
