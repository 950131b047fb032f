#!/usr/bin/python3
"""Write the TEST FIXTURE models for the Java cell-classifier tests (random weights, not a classifier).

    /usr/bin/python3 src/training/cells/make_fixture_model.py [--out src/service/test/resources/models]

They prove that the Java side reads everything from the model's metadata: the fixture has other class
names (alpha, beta, gamma), one attribute with an output name different from its own name, another input
name, a 32x32 input and another normalisation than the reference model, and no blast class.

Writes, all deterministic (fixed seeds):
  fixture-tiny.onnx                  the fixture (a few KB), full hemastream.* metadata
  fixture-tiny-no-metadata.onnx      the same graph without any hemastream.* metadata
  fixture-tiny-wrong-output.onnx     metadata naming an attribute output the graph does not have
  fixture-tiny-parity.json           PyTorch outputs for the 32x32 PNGs below (they need no resize)
  fixture-tiny-images/*.png          4 random 32x32 RGB images
  fixture-tiny-resize-input.png      a random 48x40 RGB image, and what PIL makes of it with the contract's
  fixture-tiny-resize-expected.png   "centre-crop to square, then bilinear to width x height" (32x32)

Needs Debian's python3-torch, python3-onnx, python3-pil, python3-numpy.
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

SIZE = 32
CLASSES = ["alpha", "beta", "gamma"]
ATTRIBUTE = {"name": "shade", "output": "attr_shade", "values": ["light", "dark"]}
INPUT_NAME, TYPE_OUTPUT = "pixels", "kind"
SCALE, MEAN, STD = 1 / 255.0, [0.1, 0.2, 0.3], [0.5, 0.6, 0.7]
VERSION = "fixture-tiny-1 (TEST FIXTURE: random weights, not a classifier)"


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, 2, 1)
        self.types = nn.Linear(6, len(CLASSES))
        self.shade = nn.Linear(6, len(ATTRIBUTE["values"]))
        with torch.no_grad():  # larger weights so that different images give clearly different outputs
            for p in self.parameters():
                p.mul_(4.0)

    def forward(self, pixels):
        f = torch.flatten(F.adaptive_avg_pool2d(torch.tanh(self.conv(pixels)), 1), 1)
        return F.softmax(self.types(f), 1), F.softmax(self.shade(f), 1)


def normalise(rgb_uint8):
    x = torch.from_numpy(rgb_uint8).permute(2, 0, 1).float().unsqueeze(0) / 255.0
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def export(net, path, with_metadata, attribute=None):
    import onnx
    dummy = torch.zeros(2, 3, SIZE, SIZE)
    outputs = [TYPE_OUTPUT, ATTRIBUTE["output"]]
    torch.onnx.export(net, dummy, path, opset_version=13, input_names=[INPUT_NAME], output_names=outputs,
                      dynamic_axes={n: {0: "batch"} for n in [INPUT_NAME] + outputs})
    m = onnx.load(path)
    m.producer_name = "hemastream make_fixture_model.py (test fixture)"
    if with_metadata:
        meta = {
            "hemastream.contract": "cell-classifier/1",
            "hemastream.model_version": VERSION,
            "hemastream.input": json.dumps({"name": INPUT_NAME, "layout": "NCHW", "channels": "RGB",
                                            "width": SIZE, "height": SIZE,
                                            "resize": "centre-crop to square, then bilinear to width x height"}),
            "hemastream.normalization": json.dumps({"scale": SCALE, "mean": MEAN, "std": STD}),
            "hemastream.cell_types": json.dumps({"output": TYPE_OUTPUT, "classes": CLASSES}),
            "hemastream.attributes": json.dumps([attribute or ATTRIBUTE]),
            "hemastream.thresholds": json.dumps({}),
            "hemastream.training_data": json.dumps({"testFixture": True, "note": "random weights, never trained"}),
        }
        for k, v in meta.items():
            p = m.metadata_props.add(); p.key, p.value = k, v
    onnx.checker.check_model(m)
    onnx.save(m, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "src", "service", "test", "resources", "models"))
    args = ap.parse_args()
    torch.manual_seed(7)
    rnd = np.random.RandomState(7)
    os.makedirs(os.path.join(args.out, "fixture-tiny-images"), exist_ok=True)

    net = Tiny().eval()
    export(net, os.path.join(args.out, "fixture-tiny.onnx"), True)
    export(net, os.path.join(args.out, "fixture-tiny-no-metadata.onnx"), False)
    export(net, os.path.join(args.out, "fixture-tiny-wrong-output.onnx"), True, dict(ATTRIBUTE, output="no_such_output"))

    cells = []
    for i in range(4):
        rgb = rnd.randint(0, 256, size=(SIZE, SIZE, 3), dtype=np.uint8)
        rgb[:, :, i % 3] = (rgb[:, :, i % 3] // (i + 1)).astype(np.uint8)  # make the images differ in colour
        name = f"fixture-tiny-images/cell-{i}.png"
        Image.fromarray(rgb, "RGB").save(os.path.join(args.out, name))
        with torch.no_grad():
            kind, shade = net(normalise(rgb))
        cells.append({"file": name, "outputs": {TYPE_OUTPUT: [round(float(v), 8) for v in kind[0]],
                                                ATTRIBUTE["output"]: [round(float(v), 8) for v in shade[0]]}})
    with open(os.path.join(args.out, "fixture-tiny-parity.json"), "w") as f:
        json.dump({"model_version": VERSION, "cells": cells}, f, indent=1)

    src = Image.fromarray(rnd.randint(0, 256, size=(40, 48, 3), dtype=np.uint8), "RGB")  # 48 wide, 40 high
    src.save(os.path.join(args.out, "fixture-tiny-resize-input.png"))
    w, h = src.size
    s = min(w, h)
    box = ((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)
    src.crop(box).resize((SIZE, SIZE), Image.BILINEAR).save(os.path.join(args.out, "fixture-tiny-resize-expected.png"))
    print("fixtures written to", args.out)


if __name__ == "__main__":
    main()
