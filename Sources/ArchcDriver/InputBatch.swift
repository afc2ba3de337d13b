import ArchcIO
import ArchcIR
import ArchcImage
import ArchcSpec
import Foundation

/// Turns `--input` arguments into a batch: one `.npy` (N, C, H, W), or photos (PNG, JPEG,
/// or folders of them) prepared as the spec's `preprocess:` says.
public enum InputBatch {
    public static let imageExtensions = ["png", "jpg", "jpeg"]

    public struct Loaded {
        public var tensor: Tensor
        /// The file behind each image of the batch (empty for .npy input).
        public var files: [String]
    }

    /// Where a batch comes from, known before the spec is compiled (it sets the batch).
    public enum Source {
        case tensor(Tensor)
        case photos([String])

        /// Images in the batch.
        public var count: Int {
            switch self {
            case .tensor(let t): return t.dims.first ?? 0
            case .photos(let files): return files.count
            }
        }
    }

    /// Reads a `.npy` input, or lists the photos (folders expanded, sorted) without decoding them.
    public static func resolve(_ arguments: [String]) throws -> Source {
        if arguments.count == 1, arguments[0].lowercased().hasSuffix(".npy") {
            return .tensor(try NPY.read(arguments[0]))
        }
        var files: [String] = []
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else { throw IOError(argument, "no such file") }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []
                let images = names.filter { imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
                guard !images.isEmpty else { throw IOError(argument, "folder holds no .png, .jpg or .jpeg image") }
                files += images.map { (argument as NSString).appendingPathComponent($0) }
            } else if argument.lowercased().hasSuffix(".npy") {
                throw IOError(argument, "a .npy input must be the only --input")
            } else {
                files.append(argument)
            }
        }
        return .photos(files)
    }

    public static func load(_ arguments: [String], spec: ModelSpec, inputType: TensorType) throws -> Loaded {
        try load(resolve(arguments), spec: spec, inputType: inputType)
    }

    /// The batch: a `.npy` as it is, photos decoded and prepared for the spec's input.
    public static func load(_ source: Source, spec: ModelSpec, inputType: TensorType) throws -> Loaded {
        let files: [String]
        switch source {
        case .tensor(let tensor): return Loaded(tensor: tensor, files: [])
        case .photos(let list): files = list
        }
        guard inputType.dims.count == 3, inputType.dims[0] == 3, inputType.dims[1] == inputType.dims[2] else {
            throw IOError(files.first ?? "input", "photos need a spec whose input is 3 channels, square; this one takes \(inputType)")
        }
        let preprocessing = preprocessing(for: spec, size: inputType.dims[1])
        var data: [Float] = []
        for file in files {
            let image: DecodedImage
            do { image = try DecodedImage.read(file) } catch let failure as DecodedImage.Failure { throw IOError(failure.file, failure.message) }
            data += preprocessing.apply(image).data
        }
        return Loaded(tensor: Tensor(dims: [files.count] + inputType.dims, data: data), files: files)
    }

    /// The spec's `preprocess:`, filled in with ImageNet's defaults for the input size.
    public static func preprocessing(for spec: ModelSpec, size: Int) -> Preprocessing {
        var p = Preprocessing.imagenet(size: size)
        guard let declared = spec.preprocess else { return p }
        if let resize = declared.resize { p.resize = resize }
        p.crop = declared.crop ?? size
        if let interpolation = declared.interpolation.flatMap(Preprocessing.Interpolation.init) { p.interpolation = interpolation }
        if let mean = declared.mean { p.mean = mean.map(Float.init) }
        if let std = declared.std { p.std = std.map(Float.init) }
        return p
    }
}
