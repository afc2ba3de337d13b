/// ImageNet-C's corruption error (Hendrycks & Dietterich, "Benchmarking Neural Network
/// Robustness to Common Corruptions and Perturbations", ICLR 2019):
///   CE_c = sum_s E_{s,c} / sum_s E^AlexNet_{s,c}          (s = severities 1-5)
///   relative CE_c = sum_s (E_{s,c} - E_clean) / sum_s (E^AlexNet_{s,c} - E^AlexNet_clean)
/// with E the top-1 error; mCE and relative mCE average them over the 15 benchmark
/// corruptions. Reported only for corruptions with all five severities evaluated.
public enum CorruptionError {
    /// The 15 benchmark corruptions, in the paper's order (noise, blur, weather, digital).
    public static let benchmark = [
        "gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur", "glass_blur", "motion_blur", "zoom_blur",
        "snow", "frost", "fog", "brightness", "contrast", "elastic_transform", "pixelate", "jpeg_compression",
    ]

    /// AlexNet's top-1 error per severity 1-5, as published with ImageNet-C (Hendrycks &
    /// Dietterich, ICLR 2019) and carried by evaluation scripts since.
    public static let alexNetErrors: [String: [Double]] = [
        "gaussian_noise": [0.69528, 0.82542, 0.93554, 0.98138, 0.99452],
        "shot_noise": [0.71224, 0.85108, 0.93574, 0.98182, 0.99146],
        "impulse_noise": [0.78374, 0.89808, 0.94870, 0.98720, 0.99548],
        "defocus_blur": [0.65624, 0.73202, 0.85036, 0.91364, 0.94714],
        "glass_blur": [0.64308, 0.75054, 0.88806, 0.91622, 0.93344],
        "motion_blur": [0.58430, 0.70048, 0.82108, 0.89750, 0.92638],
        "zoom_blur": [0.70008, 0.76992, 0.80784, 0.84198, 0.87198],
        "snow": [0.71726, 0.88392, 0.86468, 0.91870, 0.94952],
        "frost": [0.61390, 0.79734, 0.88790, 0.89942, 0.93430],
        "fog": [0.67474, 0.76050, 0.84378, 0.87260, 0.94500],
        "brightness": [0.45140, 0.48502, 0.54048, 0.62166, 0.72440],
        "contrast": [0.64548, 0.76150, 0.88874, 0.97760, 0.99270],
        "elastic_transform": [0.52596, 0.70116, 0.55686, 0.64076, 0.80554],
        "pixelate": [0.52218, 0.54620, 0.73728, 0.87092, 0.91262],
        "jpeg_compression": [0.51002, 0.54718, 0.57294, 0.65458, 0.74778],
    ]

    /// AlexNet's clean top-1 error (torchvision's AlexNet, the model ImageNet-C was
    /// normalised with: 56.522% top-1 accuracy), for relative CE.
    public static let alexNetCleanError = 0.43478

    /// CE per benchmark corruption whose five severities all have an error.
    /// `errors[corruption][severity - 1]` is the top-1 error.
    public static func ce(_ errors: [String: [Int: Double]]) -> [String: Double] {
        var out: [String: Double] = [:]
        for (corruption, alex) in alexNetErrors {
            guard let mine = fiveSeverities(errors[corruption]) else { continue }
            out[corruption] = mine.reduce(0, +) / alex.reduce(0, +)
        }
        return out
    }

    /// Relative CE per corruption: the error added by the corruption, against AlexNet's.
    public static func relativeCE(_ errors: [String: [Int: Double]], cleanError: Double) -> [String: Double] {
        var out: [String: Double] = [:]
        for (corruption, alex) in alexNetErrors {
            guard let mine = fiveSeverities(errors[corruption]) else { continue }
            out[corruption] = mine.map { $0 - cleanError }.reduce(0, +) / alex.map { $0 - alexNetCleanError }.reduce(0, +)
        }
        return out
    }

    /// The mean over the 15 benchmark corruptions; nil unless all 15 are present.
    public static func mean(_ perCorruption: [String: Double]) -> Double? {
        let values = benchmark.compactMap { perCorruption[$0] }
        guard values.count == benchmark.count else { return nil }
        return values.reduce(0, +) / Double(values.count)
    }

    private static func fiveSeverities(_ bySeverity: [Int: Double]?) -> [Double]? {
        guard let bySeverity else { return nil }
        let values = (1...5).compactMap { bySeverity[$0] }
        return values.count == 5 ? values : nil
    }
}
