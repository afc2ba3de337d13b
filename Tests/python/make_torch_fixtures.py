"""Writes the small PyTorch-format checkpoints the Swift tests read
(Tests/ArchcIOTests/Fixtures/torch/), without PyTorch: the pickles name the same
globals torch.save writes (torch._utils._rebuild_tensor_v2, torch.FloatStorage, ...), made
with stand-in classes, and the storages are laid out as torch lays them out, in both the
zip format (torch >= 1.6) and the legacy format. Run: python3 Tests/python/make_torch_fixtures.py"""
import argparse
import collections
import io
import pathlib
import pickle
import struct
import sys
import types
import zipfile

OUT = pathlib.Path(__file__).resolve().parents[1] / "ArchcIOTests" / "Fixtures" / "torch"

# Stand-ins that pickle under torch's own names.
torch = types.ModuleType("torch")
utils = types.ModuleType("torch._utils")
sys.modules["torch"], sys.modules["torch._utils"] = torch, utils


def _rebuild_tensor_v2(*args):
    raise RuntimeError("never called: only pickled")


_rebuild_tensor_v2.__module__ = "torch._utils"
utils._rebuild_tensor_v2 = _rebuild_tensor_v2
for name in ["FloatStorage", "HalfStorage", "LongStorage"]:
    cls = type(name, (), {"__module__": "torch"})
    setattr(torch, name, cls)


class Storage:
    def __init__(self, key, kind, values, fmt):
        self.key, self.kind, self.values, self.fmt = key, kind, values, fmt

    def raw(self):
        return struct.pack("<%d%s" % (len(self.values), self.fmt), *self.values)


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __reduce__(self):
        return (_rebuild_tensor_v2, (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict()))


class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", getattr(torch, obj.kind), obj.key, "cpu", len(obj.values))
        return None


def state():
    weights = Storage("0", "FloatStorage", [float(i) / 4 for i in range(24)], "f")
    halves = Storage("1", "HalfStorage", [1.0, -2.0, 0.5], "e")
    counter = Storage("2", "LongStorage", [7], "q")
    sd = collections.OrderedDict()
    sd["conv.weight"] = Tensor(weights, 0, (2, 3, 2, 2), (12, 4, 2, 1))
    sd["conv.bias"] = Tensor(halves, 1, (2,), (1,))                 # a view at an offset
    sd["fc.weight"] = Tensor(weights, 0, (4, 3), (1, 4))            # a transposed (strided) view
    sd["bn.num_batches_tracked"] = Tensor(counter, 0, (), ())
    return sd, [weights, halves, counter]


def dumps(obj):
    buffer = io.BytesIO()
    Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


def write_zip(path, obj, storages):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", dumps(obj))
        for s in storages:
            z.writestr("archive/data/" + s.key, s.raw())
        z.writestr("archive/version", "3\n")


def write_legacy(path, obj, storages):
    with open(path, "wb") as f:
        pickle.dump(0x1950A86A20F9469CFC6C, f, protocol=2)
        pickle.dump(1001, f, protocol=2)
        pickle.dump({"protocol_version": 1001, "little_endian": True}, f, protocol=2)
        f.write(dumps(obj))
        pickle.dump([s.key for s in storages], f, protocol=2)
        for s in storages:
            f.write(struct.pack("<q", len(s.values)))
            f.write(s.raw())


class Evil:
    def __reduce__(self):
        import os
        return (os.system, ("echo pwned > /tmp/archc-pwned",))


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    sd, storages = state()
    write_zip(OUT / "zip.pth", sd, storages)
    write_legacy(OUT / "legacy.pth", sd, storages)
    # A training script's checkpoint: the weights under 'model', beside arguments and a hook.
    nested = {"epoch": 3, "args": argparse.Namespace(lr=0.1, arch="x"), "model": sd, "evil": Evil()}
    write_zip(OUT / "nested.pth", nested, storages)
    (OUT / "truncated.pth").write_bytes((OUT / "legacy.pth").read_bytes()[:-20])
    print("wrote", sorted(p.name for p in OUT.iterdir()))
