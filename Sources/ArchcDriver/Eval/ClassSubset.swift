import ArchcImage

/// The classes a set is scored over. ImageNet-R holds 200 of the 1000 classes, and its
/// authors restrict the logits to those before the argmax; other sets use every class.
public enum ClassSubset: String, Sendable, CaseIterable {
    case all
    case imagenetR = "imagenet-r"

    /// The allowed class indices, ascending; nil for every class.
    public var indices: [Int]? {
        switch self {
        case .all: return nil
        case .imagenetR: return ImageNetSynsets.imagenetR
        }
    }

    /// `auto`: ImageNet-R's subset when the class folders are exactly its 200 WordNet IDs.
    public static func detect(classNames: Set<String>) -> ClassSubset {
        classNames == imagenetRWnids ? .imagenetR : .all
    }

    static let imagenetRWnids = Set(ImageNetSynsets.imagenetR.map { ImageNetSynsets.wnids[$0] })
}
