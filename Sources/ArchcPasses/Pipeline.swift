import ArchcIR

/// The optimization pipeline: one straight list, each step with why it sits where it does.
public struct Pipeline {
    public struct Report: Sendable {
        public var flag: String
        public var rewrites: Int
        /// Op counts after the pass ran.
        public var ops: [String: Int]
    }

    public struct VerificationFailure: Error, CustomStringConvertible {
        public var pass: String
        public var errors: [String]
        public var description: String { "the graph fails verification after \(pass):\n" + errors.joined(separator: "\n") }
    }

    public static let passes: [any Pass] = [
        // Norms after a conv vanish into its weights first, so every later pattern sees bare convs.
        FoldBatchNorm(),
        // Norms before a 1x1 or unpadded conv fold forward; the padded case stays (inexact).
        FoldPrecedingBatchNorm(),
        // Layer scale after a conv is a per-row multiply of its weights; it must go before the
        // residual fusion, which needs the conv's output to feed the add directly.
        FoldLayerScale(),
        // A LayerNorm read only by linears (a ViT block's norm1 and norm2) hands them its gamma
        // and beta, leaving a bare normalisation.
        FoldLayerNormAffine(),
        // Whatever norm is left becomes one multiply-add; identity ops disappear.
        FoldConstants(),
        // Activations after a conv or linear join its epilogue while the data is in registers.
        FuseActivation(),
        // The residual add (and a ReLU after it) joins the branch conv or linear: blocks become one chain.
        FuseResidualAdd(),
        // Folded norms and scales leave their constants behind; drop them last.
        RemoveDeadNodes(),
    ]

    public static var flags: [String] { passes.map(\.flag) }

    /// Runs every pass not in `disabled` ("all" disables all), verifying after each one when
    /// `verify` is set; `afterEach` sees the graph after every pass (`--print-after-all`).
    /// The graph is consumed: when the caller hands over its only copy (`consume graph`),
    /// each folded weight replaces its source in place instead of beside a kept original.
    public static func run(
        _ graph: consuming Graph, disabled: Set<String> = [], verify: Bool = false,
        afterEach: ((String, Graph) -> Void)? = nil
    ) -> Result<(Graph, [Report]), VerificationFailure> {
        var current = consume graph
        var reports: [Report] = []
        for pass in passes where !disabled.contains(pass.flag) && !disabled.contains("all") {
            let rewrites = pass.run(on: &current)
            if verify {
                let errors = Verifier.verify(current)
                if !errors.isEmpty { return .failure(VerificationFailure(pass: pass.flag, errors: errors)) }
            }
            reports.append(Report(flag: pass.flag, rewrites: rewrites, ops: current.opCounts()))
            afterEach?(pass.flag, current)
        }
        return .success((current, reports))
    }

    /// The summary table: rewrites per pass and the nodes left of each kind that matters.
    public static func summary(before: Graph, _ reports: [Report]) -> String {
        let columns = ["conv2d", "linear", "batchnorm", "scale_shift", "layernorm", "channel_scale", "relu", "relu6", "gelu", "add"]
        var rows = [["pass", "rewrites"] + columns]
        rows.append(["(lowered)", ""] + columns.map { String(before.opCounts()[$0, default: 0]) })
        for report in reports { rows.append([report.flag, String(report.rewrites)] + columns.map { String(report.ops[$0, default: 0]) }) }
        let widths = (0..<rows[0].count).map { col in rows.map { $0[col].count }.max()! }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == 0 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) : String(repeating: " ", count: widths[i] - cell.count) + cell
            }
            .joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
