/// Every limit the spec layer puts on its input, in one place (docs/limits.md, "Specs").
///
/// A spec is a few kilobytes written by a person; each limit sits far above any real
/// architecture (the largest spec in specs/ has 33 blocks, one import and no `extends`
/// chain longer than 1) and far below what would crash, hang or exhaust memory. Going
/// over any of them is a located error, never a trap.
public enum SpecLimits {
    /// Bytes of one spec, library, base or budget reference file.
    public static let fileBytes = 4 << 20
    /// YAML nesting: Yams builds its tree recursively, so depth is stack.
    public static let yamlDepth = 100
    /// YAML nodes after expanding aliases (refuses the "billion laughs").
    public static let yamlNodes = 200_000
    /// Characters of one integer expression: the evaluator recurses once per operator.
    public static let expressionLength = 1_000
    /// Parenthesis and unary-minus nesting of one expression.
    public static let expressionDepth = 64
    /// Files in one `extends` chain, the spec itself included.
    public static let extendsChain = 32
    /// Distinct files reached through `import:` (each read once, however often imported).
    public static let importedFiles = 256
    /// YAML nodes over every imported file together: 255 libraries of 199,000 nodes each
    /// (each under `yamlNodes`) took over a minute to parse.
    public static let importedNodes = 1_000_000
    /// Bytes of every imported file together: 255 libraries of one 4 MiB string took 48 s.
    public static let importedBytes = 16 << 20
    /// Characters of one name (model, layer, block, shortcut) or `block_names` pattern: every
    /// tensor name repeats its block's prefix, 10,000 blocks of megabyte names would not fit.
    public static let nameLength = 256
    /// Blocks over all stages, checked before any is expanded.
    public static let blocks = 10_000
    /// Layers of the elaborated network.
    public static let layers = 200_000
    /// "Did you mean" is offered for words up to this long, among at most `suggestionCandidates`
    /// known words: thousands of unknown names among thousands of blocks took minutes.
    public static let suggestionWordLength = 64
    public static let suggestionCandidates = 128
    /// Depth vectors `archc fit` may rank, over all edit distances.
    public static let fitCandidates = 200_000
    /// Networks `archc fit` may elaborate to check a candidate (each is a full elaboration).
    public static let fitElaborations = 400
    /// Layers `archc fit` may elaborate over all its networks: a spec of thousands of layers
    /// gets fewer than `fitElaborations` (3,000 one-block stages took 49 s for 400).
    public static let fitElaboratedLayers = 200_000
}
