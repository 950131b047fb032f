#!/usr/bin/python3
"""Installs a trained cell model as the one the jar ships:

    /usr/bin/python3 src/training/cells/install_model.py TRAIN_OUT_DIR

copies TRAIN_OUT_DIR/cell-classifier.onnx to src/service/main/resources/models/, its Java/Python parity sample to
src/service/test/resources/parity/, and its PyTorch weights (half precision, for `adapt_cells.py`) to
src/training/cells/weights/<model version>.pt. NaN in the metadata is rewritten as null.
"""
import os
import shutil
import sys

import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

src = sys.argv[1]
model = os.path.join(REPO, "src", "service", "main", "resources", "models", "cell-classifier.onnx")
shutil.copyfile(os.path.join(src, "cell-classifier.onnx"), model)
os.system(f"/usr/bin/python3 {os.path.join(HERE, 'fix_metadata_nan.py')} {model}")
version = {p.key: p.value for p in onnx.load(model).metadata_props}["hemastream.model_version"]
parity = os.path.join(REPO, "src", "service", "test", "resources", "parity")
shutil.rmtree(parity, ignore_errors=True)
shutil.copytree(os.path.join(src, "parity"), parity)
os.makedirs(os.path.join(HERE, "weights"), exist_ok=True)
state = torch.load(os.path.join(src, "cellnet.pt"))
torch.save({k: v.half() if v.is_floating_point() else v for k, v in state.items()},
           os.path.join(HERE, "weights", version + ".pt"))
print(f"installed {version}")
