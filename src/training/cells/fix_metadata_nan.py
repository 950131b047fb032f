#!/usr/bin/python3
"""Rewrites NaN in a cell model's JSON metadata as null (models exported before train_cells.finite_json).

    /usr/bin/python3 src/training/cells/fix_metadata_nan.py MODEL.onnx
"""
import json
import sys

import onnx

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
from train_cells import finite_json  # noqa: E402

m = onnx.load(sys.argv[1])
for p in m.metadata_props:
    if p.key.startswith("hemastream.") and "NaN" in p.value:
        p.value = finite_json(json.loads(p.value))
        print("fixed", p.key)
onnx.save(m, sys.argv[1])
