/// Checks a spec's `expect:` section (parameters, MACs, output shape) against the network.
enum Expectations {
    static func check(_ expect: ModelSpec.Expect, _ network: Network, _ diagnostics: DiagnosticEngine) {
        if let (params, at) = expect.params, params != network.params {
            diagnostics.error(at, "expected \(Format.grouped(params)) parameters, the network has \(Format.grouped(network.params))")
        }
        if let (text, at) = expect.macs, let wanted = ScalarParsing.quantity(text), !matches(network.macs, wanted) {
            diagnostics.error(at, "expected \(text) MACs, the network has \(Format.grouped(network.macs)) (\(Format.si(network.macs)))")
        }
        if let (dims, at) = expect.output, dims != network.output.dims {
            diagnostics.error(at, "expected output shape \(dims), the network produces \(network.output)")
        }
    }

    /// An integer must match exactly; `4.48G` matches anything that rounds to it.
    static func matches(_ actual: Int, _ wanted: (value: Double, unit: Double, decimals: Int)) -> Bool {
        if wanted.unit == 1, wanted.decimals == 0 { return Double(actual) == wanted.value }
        var step = wanted.unit
        for _ in 0..<wanted.decimals { step /= 10 }
        return abs(Double(actual) - wanted.value) <= step / 2
    }
}
