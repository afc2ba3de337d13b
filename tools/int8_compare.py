#!/usr/bin/env python3
"""int8 against fp32 on the same tensors: ONNX Runtime's static quantization of archc's
ONNX export, and the accuracy figures of docs/precision.md. Used by tools/int8-bench.sh.

usage:
  tools/int8_compare.py quantize FP32.onnx CALIB.npy OUT.onnx
      ONNX Runtime's quantize_static on the images archc calibrated on (`archc calibrate
      --save-inputs CALIB.npy`), after its recommended pre-processing (quant_pre_process:
      shape inference and graph optimization, which folds BatchNorm into convs): QDQ format, u8 activations (per tensor, min-max, as archc),
      s8 weights per output channel with reduce_range (7 bits, as archc: no vpmaddubsw
      saturation on AVX2 without VNNI).
  tools/int8_compare.py run MODEL.onnx X.npy Y.npy
      ONNX Runtime's output for X (2 threads).
  tools/int8_compare.py compare REF.npy Y.npy [--files LIST] [--json]
      top-1 agreement of Y with REF, relative logit error (L2 per image), largest
      absolute logit difference; with --files (one name per image, `imagenet_NN_LABEL.jpg`
      names carry the label) the top-1 accuracy of both.
Needs numpy and onnxruntime.
"""
import json
import os
import re
import sys

import numpy as np


def quantize(fp32, calibration, out):
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
    import onnx

    from onnxruntime.quantization.shape_inference import quant_pre_process

    x = np.load(calibration).astype(np.float32)
    prepared = out + ".pre.onnx"
    quant_pre_process(fp32, prepared)
    name = onnx.load(prepared).graph.input[0].name

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{name: x[i:i + 1]} for i in range(len(x))])

        def get_next(self):
            return next(self.items, None)

    quantize_static(
        prepared, out, Reader(), quant_format=QuantFormat.QDQ, per_channel=True, reduce_range=True,
        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax)
    os.remove(prepared)


def run(model, x, y):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2
    session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    inputs = np.load(x).astype(np.float32)
    name = session.get_inputs()[0].name
    outputs = [session.run(None, {name: inputs[i:i + 1]})[0] for i in range(len(inputs))]
    np.save(y, np.concatenate(outputs).astype(np.float32))


def compare(ref, y, files=None):
    ref, y = np.load(ref).reshape(len(np.load(ref)), -1), np.load(y)
    y = y.reshape(len(y), -1)
    relative = np.linalg.norm(y - ref, axis=1) / np.maximum(np.linalg.norm(ref, axis=1), 1e-12)
    result = {
        "images": len(ref),
        "top1_agreement": float(np.mean(ref.argmax(1) == y.argmax(1))),
        "relative_logit_error_mean": float(relative.mean()),
        "relative_logit_error_max": float(relative.max()),
        "max_abs_logit_difference": float(np.abs(y - ref).max()),
    }
    if files:
        labels = [re.search(r"imagenet_\d+_(\d+)\.", f) for f in files]
        known = [i for i, m in enumerate(labels) if m]
        if known:
            truth = np.array([int(labels[i].group(1)) for i in known])
            result["labelled"] = len(known)
            result["top1_reference"] = float(np.mean(ref[known].argmax(1) == truth))
            result["top1"] = float(np.mean(y[known].argmax(1) == truth))
    return result


def main(argv):
    if len(argv) >= 4 and argv[0] == "quantize":
        quantize(*argv[1:4])
    elif len(argv) >= 4 and argv[0] == "run":
        run(*argv[1:4])
    elif len(argv) >= 3 and argv[0] == "compare":
        files = open(argv[argv.index("--files") + 1]).read().split() if "--files" in argv else None
        result = compare(argv[1], argv[2], files)
        print(json.dumps(result) if "--json" in argv else "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
