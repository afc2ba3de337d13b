/// Every limit archc's file and image readers enforce, in one place (documented in
/// docs/limits.md, "Files and images"). A file just over a limit is refused with an error
/// naming the limit before anything large is allocated; real checkpoints, inputs and photos
/// sit far below each of them.
public enum ReaderLimits {
    /// Largest checkpoint (.safetensors, .pth, .pt): 16 GiB. Safetensors tensors are read one
    /// at a time; a torch.save file is read whole to unpickle it, then released.
    public static let weightFileBytes = 16 << 30
    /// Largest `.npy` input: 4 GiB.
    public static let npyFileBytes = 4 << 30
    /// Largest photo file (PNG or JPEG): 256 MiB.
    public static let imageFileBytes = 256 << 20

    /// Largest safetensors JSON header: 16 MiB (ResNet-50's is 20 KB).
    public static let safetensorsHeaderBytes = 16 << 20
    /// Most tensors in one checkpoint (safetensors entries, state-dict entries).
    public static let tensorCount = 100_000
    /// Most dimensions of one tensor (checkpoint or `.npy`).
    public static let rank = 8
    /// Most elements of one tensor read from a file: 2^30 (4 GiB of float32).
    public static let tensorElements = 1 << 30

    /// Deepest nesting of tuples in a pickle (a state dict needs 3 or 4 levels).
    public static let pickleNesting = 1_000
    /// Most pickle opcodes executed for one checkpoint (torch.save takes about 40 per tensor).
    public static let pickleSteps = 10_000_000
    /// Most memory the objects a pickle builds may hold, estimated as it runs: 256 MiB. A
    /// state dict of `tensorCount` tensors holds about 100 MB; 10 MB of EMPTY_DICT opcodes
    /// held 1.3 GB.
    public static let pickleHeldBytes = 256 << 20

    /// Most pixels of a decoded photo: 50 million (e.g. 8660 x 5773).
    public static let decodedPixels = 50_000_000
    /// Most pixels of a photo after its shorter side is resized for the model: 16 million
    /// (a 16:1 panorama at 1000 pixels high).
    public static let resizedPixels = 16_000_000
    /// Most photos decoded at once; larger inputs are streamed through the model in
    /// batches of this many.
    public static let photosPerBatch = 32
}
