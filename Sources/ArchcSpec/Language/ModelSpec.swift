/// A parsed spec file: everything it says, located, with expressions not yet evaluated.
public struct ModelSpec: Sendable {
    public struct Stage: Sendable {
        public var location: SourceLocation
        public var block: String
        public var blockLocation: SourceLocation
        public var depth: SpecNode
        public var stride: SpecNode?
        public var strideAt: (String, SourceLocation)?
        /// A block run once before the stage's blocks, without a residual unless it declares
        /// one, named by `downsample_names` (ConvNeXt's `stages.1.downsample`); it takes the
        /// stage's stride, and its parameters come from the same arguments as the blocks'.
        public var downsample: (String, SourceLocation)?
        /// Every other key: an argument for the block's parameters.
        public var args: [SpecNode.Entry]
    }

    public struct Defaults: Sendable {
        public var norm = "batchnorm"
        public var act = "relu"
        public var eps = 1e-5
        public var bias = true
        public var strideAt = "first"
        public var padding = "symmetric"
    }

    public struct Budget: Sendable {
        public enum Target: Sendable {
            case macs(Double)
            case reference(path: String, location: SourceLocation)
        }

        public var target: Target
        public var tolerance: Double
        public var location: SourceLocation
    }

    public struct Expect: Sendable {
        public var params: (Int, SourceLocation)?
        public var macs: (text: String, location: SourceLocation)?
        public var output: ([Int], SourceLocation)?
    }

    /// How photos are prepared for this model (`preprocess:`); nil means ImageNet's defaults.
    public struct Preprocess: Sendable, Equatable {
        public var resize: Int?
        public var crop: Int?
        /// Where `crop` is declared, for errors about it.
        public var cropLocation: SourceLocation?
        public var interpolation: String?
        public var mean: [Double]?
        public var std: [Double]?
    }

    public var file: String
    public var name: String
    public var location: SourceLocation
    public var params: [BlockTemplate.Param]
    public var inputChannels: SpecNode?
    public var inputSize: SpecNode?
    public var inputLocation: SourceLocation
    public var defaults = Defaults()
    public var stem: [LayerDecl] = []
    public var stages: [Stage] = []
    public var blockNames: (String, SourceLocation)?
    /// The name pattern of a stage's `downsample` block; `stages.{stage}.downsample` when absent.
    public var downsampleNames: (String, SourceLocation)?
    public var head: [LayerDecl] = []
    public var budget: Budget?
    public var expect: Expect?
    public var blocks: [String: BlockTemplate] = [:]
    public var preprocess: Preprocess?
}
