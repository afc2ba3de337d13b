import ArchcIO
import ArchcIR
import ArchcImage
import ArchcSpec
import Foundation

/// Turns `--input` arguments into batches: one `.npy` (N, C, H, W) is one batch; photos
/// (PNG, JPEG, or folders of them) are listed first and decoded a batch at a time
/// (`ReaderLimits.photosPerBatch`), so a folder of 10,000 photos never sits in memory at
/// once and the model's memory is planned for one batch.
public struct InputBatch {
    public static let imageExtensions = ["png", "jpg", "jpeg"]

    public struct Loaded {
        /// (batchSize, C, H, W): the last batch of photos is padded with zeros.
        public var tensor: Tensor
        /// How many images of `tensor` are real (the rest is padding).
        public var count: Int
        /// The file behind each real image (empty for .npy input).
        public var files: [String]
    }

    /// Every photo, in order (empty for .npy input).
    public let files: [String]
    /// Images per batch: the .npy's N, or up to `ReaderLimits.photosPerBatch` photos.
    public let batchSize: Int
    private let npy: Tensor?
    private let preprocessing: Preprocessing?
    private let inputType: TensorType

    public var batchCount: Int { npy != nil ? 1 : (files.count + batchSize - 1) / batchSize }

    /// Reads a .npy input, or lists the photos (without decoding them).
    public static func open(_ arguments: [String], spec: ModelSpec, inputType: TensorType) throws -> InputBatch {
        if arguments.count == 1, arguments[0].lowercased().hasSuffix(".npy") {
            let tensor = try NPY.read(arguments[0])
            guard let n = tensor.dims.first, n > 0 else {
                throw IOError(arguments[0], "an input batch of shape \(tensor.dims) holds no image; expected (N, C, H, W) with N >= 1")
            }
            // A NaN or infinite input came out of some kernels finite (int8 quantization clamps
            // NaN to its lowest code, a max-pool drops it) and was reported as a prediction.
            if let bad = tensor.nonFinite {
                throw IOError(
                    arguments[0],
                    "\(bad.count) of the input's \(tensor.count) values are NaN or infinite (the first is \(tensor.data[bad.first]) at flat index \(bad.first), image \(bad.image)); the input must be finite"
                )
            }
            return InputBatch(files: [], batchSize: n, npy: tensor, preprocessing: nil, inputType: inputType)
        }
        let files = try photoFiles(arguments)
        guard inputType.dims.count == 3, inputType.dims[0] == 3, inputType.dims[1] == inputType.dims[2] else {
            throw IOError(files.first ?? "input", "photos need a spec whose input is 3 channels, square; this one takes \(inputType)")
        }
        return InputBatch(
            files: files, batchSize: min(files.count, ReaderLimits.photosPerBatch), npy: nil,
            preprocessing: try preprocessing(for: spec, size: inputType.dims[1]), inputType: inputType)
    }

    /// Batch `index` (0 ..< batchCount), photos decoded and prepared now.
    public func batch(_ index: Int) throws -> Loaded {
        if let npy { return Loaded(tensor: npy, count: batchSize, files: []) }
        let chunk = Array(files[(index * batchSize)..<min(files.count, (index + 1) * batchSize)])
        var data: [Float] = []
        data.reserveCapacity(batchSize * inputType.elements)
        for file in chunk {
            do {
                data += try preprocessing!.apply(try DecodedImage.read(file), file: file).data
            } catch let failure as DecodedImage.Failure {
                throw IOError(failure.file, failure.message)
            }
        }
        data += [Float](repeating: 0, count: (batchSize - chunk.count) * inputType.elements)
        return Loaded(tensor: Tensor(dims: [batchSize] + inputType.dims, data: data), count: chunk.count, files: chunk)
    }

    /// The photos named by the arguments: files as given, folders' images sorted by name.
    static func photoFiles(_ arguments: [String]) throws -> [String] {
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
        return files
    }

    /// The spec's `preprocess:`, filled in with ImageNet's defaults for the input size. A
    /// declared crop must be the input size (`--set input.size=192` on a spec cropping 224
    /// would feed the model images of the wrong size): the error is at the spec's `crop`.
    public static func preprocessing(for spec: ModelSpec, size: Int) throws -> Preprocessing {
        var p = Preprocessing.imagenet(size: size)
        guard let declared = spec.preprocess else { return p }
        if let resize = declared.resize { p.resize = resize }
        if let crop = declared.crop, crop != size {
            throw IOError(
                declared.cropLocation?.description ?? spec.file,
                "preprocess crop \(crop) differs from the input size \(size), so photos cannot be prepared for this model; "
                    + "make them equal (--set preprocess.crop=\(size), or --set input.size=\(crop))")
        }
        p.crop = size
        if let interpolation = declared.interpolation.flatMap(Preprocessing.Interpolation.init) { p.interpolation = interpolation }
        if let mean = declared.mean { p.mean = mean.map(Float.init) }
        if let std = declared.std { p.std = std.map(Float.init) }
        return p
    }
}
