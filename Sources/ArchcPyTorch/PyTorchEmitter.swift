import ArchcSpec

/// Writes a spec as one self-contained PyTorch file: a class per block type, a model class
/// whose `state_dict()` names and shapes are the spec's tensors, and `build()`.
///
/// It writes the spec as written (BatchNorm, layer scale and activations separate), because
/// that is the graph one trains; archc folds it at load time.
public enum PyTorchEmitter {
    /// The Python source, or nil after reporting, located, what the emitter cannot write.
    /// `command` is recorded in the header; paths under `root` are written relative to it.
    public static func emit(
        spec: ModelSpec, network: Network, command: String, root: String? = nil, diagnostics: DiagnosticEngine
    ) -> String? {
        do {
            return try source(spec: spec, network: network, command: command, root: root)
        } catch let error as PyTorchEmitError {
            diagnostics.error(error.location, error.message)
        } catch {
            diagnostics.error(spec.location, "cannot write the model in PyTorch: \(error)")
        }
        return nil
    }

    /// The model class's name: the spec's name in CamelCase (`RobustResnetDwSmall`).
    public static func className(for name: String) -> String { PythonSyntax.className(name) }

    private static func source(spec: ModelSpec, network: Network, command: String, root: String?) throws -> String {
        func relative(_ file: String) -> String {
            guard let root, file.hasPrefix(root + "/") else { return file }
            return String(file.dropFirst(root.count + 1))
        }
        let line = { (location: SourceLocation) in PythonSyntax.inert("\(relative(location.file)):\(location.line)") }
        // Class names never take a helper's, an imported module's (`F` is torch.nn.functional),
        // `build`'s or a keyword's name.
        var taken: Set<String> = ["Chain", "Conv2dSame", "LayerNorm2d", "Attention", "DropPath", "F", "nn", "torch", "build", "False", "None", "True"]
        func unique(_ name: String) -> String {
            var candidate = name, suffix = 2
            while taken.contains(candidate) { candidate = name + String(suffix); suffix += 1 }
            taken.insert(candidate)
            return candidate
        }
        var writers: [String: BlockClassWriter] = [:]
        var classes: [String] = []
        for instance in network.blocks where writers[instance.template] == nil {
            guard let template = spec.blocks[instance.template] else { continue }
            // The block's first layer (a stage's downsample belongs to no block: found by name).
            let input = network.layers.first { $0.block == instance.path || $0.name.hasPrefix(instance.path + ".") }?.inputShape
            let writer = BlockClassWriter(
                template: template, className: unique(PythonSyntax.className(template.name)), defaults: spec.defaults,
                inputForm: input.map(ValueForm.init) ?? .image,
                sourceLine: line(template.location))
            writers[instance.template] = writer
            classes.append(try writer.source())
        }
        let modelName = unique(PythonSyntax.className(spec.name))
        let model = try ModelClassWriter(spec: spec, network: network, className: modelName, blocks: writers, sourceLine: line).source()
        let body = (classes + [model, build(modelName)]).joined(separator: "\n\n")
        let helpers = PythonHelpers.definitions(usedIn: body)
        return header(spec, network, command: PythonSyntax.inert(command), file: PythonSyntax.inert(relative(spec.file))) + "\n\n\n"
            + (helpers + [body]).joined(separator: "\n\n")
    }

    private static func header(_ spec: ModelSpec, _ network: Network, command: String, file: String) -> String {
        """
        # \(PythonSyntax.inert(spec.name)): the PyTorch model of \(file), written by archc. Do not edit; regenerate with
        #   \(command)
        # \(decimal(network.params)) parameters, \(decimal(network.macs)) MACs (fvcore's convention) per image.
        # The spec as written, unfused: BatchNorm, layer scale and activations are layers of their own, so
        # it trains. state_dict() names and shapes are the spec's tensors: a checkpoint saved from it runs
        # in archc as it is (archc run \(file) --weights model.pth).
        import torch
        import torch.nn.functional as F
        from torch import nn
        """
    }

    private static func build(_ modelName: String) -> String {
        """
        def build() -> \(modelName):
            \"\"\"The model with PyTorch's default initialisation (layer scale at \(TorchLayer.layerScaleStart)), in training mode.\"\"\"
            return \(modelName)()
        """ + "\n"
    }

    /// 38590312 -> 38,590,312.
    static func decimal(_ value: Int) -> String {
        let digits = Array(String(value.magnitude))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return (value < 0 ? "-" : "") + out
    }
}
