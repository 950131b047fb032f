#!/usr/bin/python3
"""Train hemastream's reference cell classifier and export it as a self-describing ONNX model.

One command, fixed seeds, rerunnable:

    /usr/bin/python3 src/training/cells/train_cells.py --data ../shared/datasets --out target/cell-model

    --smoke      a few hundred images, one short epoch, export: proves the code still runs (CI does this)

Data: the union of pbc_wbcatt and deepapl_cellavision with their own fixed train/val/test splits, labels
mapped to the 14 cell types by src/main/resources/models/cell-label-map.json (the same file the Java
evaluator reads). Training uses only `train`; model selection and the blast threshold use only `val`;
`test` and crosssite_aml_lmu are never read here except to write the Java/Python parity sample (test
images, after training has finished).

Needs Debian's python3-torch, python3-torchvision, python3-onnx, python3-pil, python3-numpy.
"""
import argparse
import csv
import json
import math
import os
import random
import shutil
import sys
import time
from collections import Counter, OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
LABEL_MAP = os.path.join(REPO, "src", "main", "resources", "models", "cell-label-map.json")

# WBCAtt attribute values, in the order of the model's outputs (README of pbc_wbcatt).
ATTRIBUTE_VALUES = OrderedDict([
    ("cell_size", ["small", "big"]),
    ("cell_shape", ["round", "irregular"]),
    ("nucleus_shape", ["unsegmented-round", "unsegmented-indented", "unsegmented-band",
                       "segmented-bilobed", "segmented-multilobed", "irregular"]),
    ("nuclear_cytoplasmic_ratio", ["low", "high"]),
    ("chromatin_density", ["densely", "loosely"]),
    ("cytoplasm_vacuole", ["no", "yes"]),
    ("cytoplasm_texture", ["clear", "frosted"]),
    ("cytoplasm_colour", ["light blue", "blue", "purple blue"]),
    ("granule_type", ["nil", "small", "round", "coarse"]),
    ("granule_colour", ["nil", "pink", "red", "purple"]),
    ("granularity", ["no", "yes"]),
])
INPUT_SIZE = 128
# Applied by the service as (pixel / 255 - mean) / std. The network's first layer standardises each
# image's channels itself (instance normalisation), so these only set the numeric range.
MEAN = [0.5, 0.5, 0.5]
STD = [0.25, 0.25, 0.25]


# ---------------------------------------------------------------------------------------------- data

def load_label_map():
    with open(LABEL_MAP) as f:
        return json.load(f)


def read_rows(data_dir, dataset, label_map, splits):
    """Rows of one dataset's manifest that map to the 14 types, as dicts with path/type/source/attrs."""
    spec = label_map["datasets"][dataset]
    cell_types = label_map["cellTypes"]
    out, skipped = [], Counter()
    with open(os.path.join(data_dir, dataset, "manifest.csv")) as f:
        for r in csv.DictReader(f):
            if r["split"] not in splits:
                continue
            mapped = spec["map"].get(r[spec["labelColumn"]])
            if mapped is None:
                skipped[r[spec["labelColumn"]]] += 1
                continue
            attrs = [ATTRIBUTE_VALUES[a].index(r[a]) if r.get(a) else -1 for a in ATTRIBUTE_VALUES]
            out.append(dict(path=os.path.join(data_dir, dataset, r["file"]), file=r["file"],
                            type=cell_types.index(mapped), source=spec["source"], split=r["split"],
                            attrs=attrs, patient=r.get("patient_id", "")))
    return out, skipped


def load_images(rows):
    arr = np.empty((len(rows), INPUT_SIZE, INPUT_SIZE, 3), dtype=np.uint8)
    for i, r in enumerate(rows):
        im = Image.open(r["path"]).convert("RGB")
        if im.size != (INPUT_SIZE, INPUT_SIZE):
            im = im.resize((INPUT_SIZE, INPUT_SIZE), Image.BILINEAR)
        arr[i] = np.asarray(im)
    return torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous()  # N,3,H,W uint8


def normalise(x_uint8):
    x = x_uint8.float() / 255.0
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - mean) / std


# ------------------------------------------------------------------------------------- augmentation

def augment(x, gen):
    """Batched augmentation on float [0,1] images: orientation, scale, focus, stain.

    Cells have no orientation, so any rotation and flips. Scale 0.7-1.5x covers the spread of
    magnification between scanners and cell sizes. Stain variation: per-image hue rotation, saturation,
    gamma and per-channel gain; per-channel linear changes are also removed by the network's input
    instance normalisation, so hue/saturation/gamma are what matter. None of these ranges were
    chosen by looking at any evaluation set.
    """
    n = x.shape[0]
    dev = x.device
    u = lambda *s: torch.rand(*s, generator=gen, device=dev)
    angle = u(n) * 2 * math.pi
    scale = torch.exp((u(n) * 2 - 1) * math.log(1.45))  # zoom factor 1/1.45 .. 1.45
    flip = torch.where(u(n) < 0.5, -1.0, 1.0)
    tx, ty = (u(n) - 0.5) * 0.12, (u(n) - 0.5) * 0.12
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)

    # focus: occasional mild blur
    blur = u(n) < 0.25
    if blur.any():
        k = torch.tensor([1.0, 2.0, 1.0], device=dev)
        k = (k[:, None] * k[None, :]) / 16
        xb = F.conv2d(F.pad(x[blur], (1, 1, 1, 1), mode="replicate"), k.expand(3, 1, 3, 3).contiguous(), groups=3)
        x[blur] = xb

    # stain: hue rotation in YIQ space, saturation, gamma, channel gain
    yiq = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], device=dev)
    rgb = torch.linalg.inv(yiq)
    h = (u(n) - 0.5) * 2 * 0.10 * math.pi  # +-18 degrees
    s = 0.6 + u(n) * 0.8                    # saturation 0.6 .. 1.4
    ch, sh = torch.cos(h) * s, torch.sin(h) * s
    one, zero = torch.ones(n, device=dev), torch.zeros(n, device=dev)
    rot = torch.stack([torch.stack([one, zero, zero], 1),
                       torch.stack([zero, ch, -sh], 1),
                       torch.stack([zero, sh, ch], 1)], 1)
    m = rgb @ rot @ yiq
    x = torch.einsum("nij,njhw->nihw", m, x)
    gain = 0.85 + u(n, 3) * 0.3
    x = x * gain.view(n, 3, 1, 1)
    x = x.clamp(0, 1)
    gamma = torch.exp((u(n) * 2 - 1) * math.log(1.3)).view(n, 1, 1, 1)
    x = x.clamp_min(1e-4) ** gamma
    x = x + torch.randn(x.shape, generator=gen, device=dev) * (u(n).view(n, 1, 1, 1) * 0.02)
    return x.clamp(0, 1)


# -------------------------------------------------------------------------------------------- model

class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.short = None
        if cin != cout or stride != 1:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + (x if self.short is None else self.short(x)))


class CellNet(nn.Module):
    """Small ResNet (3.4 M parameters) with a 14-way cell-type head and one head per WBCAtt attribute.

    128x128 in; instance normalisation of the input's channels first (a per-image stain/white
    balance), a stride-2 stem and max-pool to 32x32, then four stages of two residual blocks.
    """

    def __init__(self, n_types, attr_sizes, widths=(48, 96, 160, 256)):
        super().__init__()
        self.inorm = nn.InstanceNorm2d(3, affine=False)
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
                                  nn.MaxPool2d(2))
        layers, c = [], 32
        for w in widths:
            layers += [Block(c, w, 2), Block(w, w, 1)]
            c = w
        self.body = nn.Sequential(*layers)
        self.drop = nn.Dropout(0.2)
        self.type_head = nn.Linear(c, n_types)
        self.attr_heads = nn.ModuleList([nn.Linear(c, k) for k in attr_sizes])

    def forward(self, x):
        f = self.body(self.stem(self.inorm(x)))
        f = self.drop(torch.flatten(F.adaptive_avg_pool2d(f, 1), 1))
        return self.type_head(f), [h(f) for h in self.attr_heads]


class Exported(nn.Module):
    """What ships: probabilities, not logits."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image):
        t, attrs = self.net(image)
        return tuple([F.softmax(t, 1)] + [F.softmax(a, 1) for a in attrs])


# ------------------------------------------------------------------------------------------ metrics

def predict(net, images, batch=256):
    net.eval()
    types, attrs = [], [[] for _ in ATTRIBUTE_VALUES]
    with torch.no_grad():
        for i in range(0, len(images), batch):
            t, a = net(normalise(images[i:i + batch]))
            types.append(F.softmax(t, 1))
            for j, aj in enumerate(a):
                attrs[j].append(F.softmax(aj, 1))
    return torch.cat(types), [torch.cat(a) for a in attrs]


def macro_f1(y, p, n):
    f1s = []
    for c in range(n):
        tp = int(((p == c) & (y == c)).sum()); fp = int(((p == c) & (y != c)).sum()); fn = int(((p != c) & (y == c)).sum())
        if tp + fn == 0:
            continue
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(f1s))


def choose_blast_threshold(p_blast, is_blast, is_deepapl, min_specificity=0.975, max_pbc_false_rate=0.005):
    """Lowest threshold (highest recall) whose val specificity on DeepAPL non-blasts is >= min_specificity
    and whose false-blast rate on PBC's healthy val cells is <= max_pbc_false_rate. Val data only."""
    best = 0.5
    for t in np.round(np.arange(0.99, 0.04, -0.01), 2):
        dneg = is_deepapl & ~is_blast
        spec = float((p_blast[dneg] < t).mean())
        pbc_false = float((p_blast[~is_deepapl] >= t).mean())
        if spec >= min_specificity and pbc_false <= max_pbc_false_rate:
            best = float(t)
        else:
            break
    return best


# -------------------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(REPO, "..", "shared", "datasets"))
    ap.add_argument("--out", default=os.path.join(REPO, "target", "cell-model"))
    ap.add_argument("--epochs", type=int, default=26)
    ap.add_argument("--samples-per-epoch", type=int, default=16384)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--version", default="cellnet-1.0.0")
    ap.add_argument("--smoke", action="store_true", help="tiny run to prove the pipeline works (CI)")
    ap.add_argument("--parity-out", default=None,
                    help="write ~10 held-out test images per class + this model's outputs (Java parity test)")
    args = ap.parse_args()

    torch.manual_seed(args.seed); random.seed(args.seed); np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, "train.log"), "a")

    def say(msg):
        line = time.strftime("%H:%M:%S ") + msg
        print(line, flush=True); log.write(line + "\n"); log.flush()

    lm = load_label_map()
    types = lm["cellTypes"]
    rows = {}
    for split in ("train", "val"):
        rows[split] = []
        for ds in ("pbc_wbcatt", "deepapl_cellavision"):
            r, skipped = read_rows(args.data, ds, lm, {split})
            rows[split] += r
            say(f"{ds} {split}: {len(r)} cells, skipped {sum(skipped.values())} {dict(skipped)}")
    if args.smoke:
        rnd = random.Random(args.seed)
        rows["train"] = rnd.sample(rows["train"], 320)
        rows["val"] = rnd.sample(rows["val"], 128)
        args.epochs, args.samples_per_epoch, args.batch = 1, 320, 32

    t0 = time.time()
    x_train, x_val = load_images(rows["train"]), load_images(rows["val"])
    say(f"loaded {len(x_train)} train + {len(x_val)} val images in {time.time() - t0:.0f}s")
    y_train = torch.tensor([r["type"] for r in rows["train"]])
    a_train = torch.tensor([r["attrs"] for r in rows["train"]])
    y_val = np.array([r["type"] for r in rows["val"]])
    a_val = np.array([r["attrs"] for r in rows["val"]])
    src_val = np.array([r["source"] == "DeepAPL" for r in rows["val"]])

    # Imbalance: sample classes in proportion to n^0.35 (between natural frequency and uniform).
    counts = Counter(y_train.tolist())
    say("train cells per type: " + ", ".join(f"{types[c]}={counts[c]}" for c in range(len(types))))
    w = torch.tensor([counts[int(c)] ** -0.65 for c in y_train], dtype=torch.double)

    net = CellNet(len(types), [len(v) for v in ATTRIBUTE_VALUES.values()])
    say(f"model: {sum(p.numel() for p in net.parameters()) / 1e6:.2f} M parameters")
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=5e-4)
    steps_per_epoch = args.samples_per_epoch // args.batch
    total = steps_per_epoch * args.epochs
    warm = min(300, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, total - warm))))
    gen = torch.Generator().manual_seed(args.seed)

    best, best_state, history = -1.0, None, []
    for epoch in range(args.epochs):
        net.train()
        t_ep = time.time()
        idx = torch.multinomial(w, steps_per_epoch * args.batch, replacement=True, generator=gen)
        run_loss = 0.0
        for s in range(steps_per_epoch):
            b = idx[s * args.batch:(s + 1) * args.batch]
            x = augment(x_train[b].float() / 255.0, gen)
            x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
            logits, attr_logits = net(x)
            loss = F.cross_entropy(logits, y_train[b], label_smoothing=0.05)
            ab = a_train[b]
            attr_losses = [F.cross_entropy(al, ab[:, j], ignore_index=-1, reduction="sum")
                           for j, al in enumerate(attr_logits)]
            n_annot = (ab[:, 0] >= 0).sum().clamp_min(1)
            loss = loss + 0.5 * torch.stack(attr_losses).sum() / (n_annot * len(attr_logits))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step(); sched.step()
            run_loss += float(loss)
        p_types, p_attrs = predict(net, x_val)
        pred = p_types.argmax(1).numpy()
        f1_pbc = macro_f1(y_val[~src_val], pred[~src_val], len(types))
        f1_apl = macro_f1(y_val[src_val], pred[src_val], len(types))
        attr_acc = np.mean([float((p_attrs[j].argmax(1).numpy()[a_val[:, j] >= 0] == a_val[a_val[:, j] >= 0, j]).mean())
                            for j in range(len(ATTRIBUTE_VALUES))]) if (a_val[:, 0] >= 0).any() else 0.0
        score = (f1_pbc + f1_apl) / 2
        history.append(dict(epoch=epoch + 1, loss=run_loss / steps_per_epoch, val_macro_f1_pbc=f1_pbc,
                            val_macro_f1_deepapl=f1_apl, val_attr_acc=attr_acc))
        say(f"epoch {epoch + 1}/{args.epochs} loss {run_loss / steps_per_epoch:.4f} val macroF1 PBC {f1_pbc:.4f} "
            f"DeepAPL {f1_apl:.4f} attr {attr_acc:.4f} ({time.time() - t_ep:.0f}s, "
            f"{steps_per_epoch * args.batch / (time.time() - t_ep):.0f} img/s)")
        if score > best:
            best, best_state = score, {k: v.clone() for k, v in net.state_dict().items()}
    net.load_state_dict(best_state)
    torch.save(best_state, os.path.join(args.out, "cellnet.pt"))

    # Blast threshold on val only.
    p_types, _ = predict(net, x_val)
    p_blast = p_types[:, types.index("blast")].numpy()
    is_blast = y_val == types.index("blast")
    threshold = choose_blast_threshold(p_blast, is_blast, src_val)
    dneg = src_val & ~is_blast
    say(f"blast threshold {threshold:.2f} (val: recall {float((p_blast[is_blast] >= threshold).mean()):.4f}, "
        f"DeepAPL specificity {float((p_blast[dneg] < threshold).mean()):.4f}, "
        f"PBC false-blast rate {float((p_blast[~src_val] >= threshold).mean()):.4f})")

    training_summary = {
        "datasets": "pbc_wbcatt (PBC, Acevedo 2020, CC BY 4.0; WBCAtt attributes, MIT) + deepapl_cellavision "
                    "(DeepAPL, Sidhom 2021, licence not yet confirmed)",
        "trainCells": len(x_train), "valCells": len(x_val),
        "trainCellsPerType": {types[c]: counts[c] for c in range(len(types))},
        "epochs": args.epochs, "samplesPerEpoch": args.samples_per_epoch, "seed": args.seed,
        "selection": "best epoch by mean val macro-F1 of the two sources; blast threshold on val",
        "smoke": bool(args.smoke),
    }
    onnx_path = os.path.join(args.out, "cell-classifier.onnx")
    export_onnx(net, onnx_path, types, threshold, args.version, training_summary)
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump(dict(history=history, blastThreshold=threshold, summary=training_summary,
                       trainSeconds=time.time() - t0), f, indent=1)
    say(f"exported {onnx_path} ({os.path.getsize(onnx_path) / 1e6:.1f} MB) after {time.time() - t0:.0f}s")

    if args.parity_out:
        write_parity_sample(net, args, lm)


def export_onnx(net, path, types, threshold, version, summary):
    import onnx
    model = Exported(net).eval()
    dummy = torch.zeros(2, 3, INPUT_SIZE, INPUT_SIZE)
    outputs = ["cell_type"] + list(ATTRIBUTE_VALUES)
    torch.onnx.export(model, dummy, path, opset_version=13, input_names=["image"], output_names=outputs,
                      dynamic_axes={n: {0: "batch"} for n in ["image"] + outputs}, do_constant_folding=True)
    m = onnx.load(path)
    meta = {
        "hemastream.contract": "cell-classifier/1",
        "hemastream.model_version": version,
        "hemastream.input": json.dumps({"name": "image", "layout": "NCHW", "channels": "RGB",
                                        "width": INPUT_SIZE, "height": INPUT_SIZE,
                                        "resize": "centre-crop to square, then bilinear to width x height"}),
        "hemastream.normalization": json.dumps({"scale": 1 / 255.0, "mean": MEAN, "std": STD}),
        "hemastream.cell_types": json.dumps({"output": "cell_type", "classes": types}),
        "hemastream.attributes": json.dumps([{"name": a, "output": a, "values": v} for a, v in ATTRIBUTE_VALUES.items()]),
        "hemastream.thresholds": json.dumps({"blast": threshold}),
        "hemastream.training_data": json.dumps(summary),
    }
    for k, v in meta.items():
        p = m.metadata_props.add(); p.key, p.value = k, v
    m.producer_name = "hemastream train_cells.py"
    onnx.checker.check_model(m)
    onnx.save(m, path)


def write_parity_sample(net, args, lm, per_type=10):
    """Copy ~10 held-out test images per type (both sources) and record this model's outputs for them."""
    types = lm["cellTypes"]
    rows = []
    for ds in ("pbc_wbcatt", "deepapl_cellavision"):
        rows += read_rows(args.data, ds, lm, {"test"})[0]
    rnd = random.Random(args.seed)
    rnd.shuffle(rows)
    picked, per = [], Counter()
    for r in rows:
        key = r["type"]
        if per[key] < per_type:
            picked.append(r); per[key] += 1
    picked.sort(key=lambda r: (r["type"], r["file"]))
    img_dir = os.path.join(args.parity_out, "images")
    os.makedirs(img_dir, exist_ok=True)
    p_types, p_attrs = predict(net, load_images(picked))
    out = []
    for i, r in enumerate(picked):
        name = r["source"].lower() + "_" + os.path.basename(r["file"])
        shutil.copyfile(r["path"], os.path.join(img_dir, name))
        out.append({"file": "images/" + name, "label": types[r["type"]], "source": r["source"],
                    "outputs": dict([("cell_type", [round(float(v), 8) for v in p_types[i]])] +
                                    [(a, [round(float(v), 8) for v in p_attrs[j][i]])
                                     for j, a in enumerate(ATTRIBUTE_VALUES)])})
    with open(os.path.join(args.parity_out, "parity.json"), "w") as f:
        json.dump({"model_version": args.version, "cells": out}, f, indent=1)
    print(f"parity sample: {len(out)} cells -> {args.parity_out}")


if __name__ == "__main__":
    main()
