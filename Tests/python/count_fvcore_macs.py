"""fvcore's MAC counts for timm's DeiT-Ti/S/B and ConvNeXt-T: where archc's figures come from.

Prints, per model, the parameter count and fvcore's total with timm's fused attention
(`F.scaled_dot_product_attention`, which fvcore does not know and counts as 0) and with
attention written as two matmuls (`fused_attn = False`), which fvcore counts as
heads * T * T * head_dim MACs each. archc's counts (SpecCorpusTests) equal the second:

    deit_tiny_patch16_224   5,717,416   fused 1,079,579,328   matmul 1,258,411,200
    deit_small_patch16_224 22,050,664   fused 4,250,674,560   matmul 4,608,338,304
    deit_base_patch16_224  86,567,656   fused 16,867,412,736  matmul 17,582,740,224
    convnext_tiny          28,589,128   4,470,437,376 (no attention)

Needs torch, timm and fvcore (not needed by the tests). timm imports torchvision at import
time for code these models never run; without torchvision installed, an empty stand-in
module is registered so the import succeeds.
"""
import importlib.abc
import importlib.machinery
import sys
from unittest import mock


class _StandIn(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves `torchvision` and its submodules to mocks: timm only needs the names to exist."""

    def find_spec(self, name, path, target=None):
        if name == "torchvision" or name.startswith("torchvision."):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = mock.MagicMock()
        module.__path__, module.__name__, module.__spec__ = [], spec.name, spec
        return module

    def exec_module(self, module):
        pass


def main():
    try:
        import torchvision  # noqa: F401
    except ImportError:
        sys.meta_path.insert(0, _StandIn())
    import timm
    import torch
    from fvcore.nn import FlopCountAnalysis

    x = torch.zeros(1, 3, 224, 224)
    for name in ["deit_tiny_patch16_224", "deit_small_patch16_224", "deit_base_patch16_224", "convnext_tiny"]:
        model = timm.create_model(name, pretrained=False).eval()
        params = sum(p.numel() for p in model.parameters())
        totals = []
        for fused in [True, False]:
            for module in model.modules():
                if hasattr(module, "fused_attn"):
                    module.fused_attn = fused
            analysis = FlopCountAnalysis(model, x)
            analysis.unsupported_ops_warnings(False)
            analysis.uncalled_modules_warnings(False)
            totals.append(analysis.total())
        print(f"{name:24s} {params:>11,}   fused {totals[0]:>14,}   matmul {totals[1]:>14,}")


if __name__ == "__main__":
    main()
