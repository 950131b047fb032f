#!/usr/bin/python3
"""Train hemastream's reference cell classifier and export it as a self-describing ONNX model.

One command, fixed seeds, rerunnable:

    /usr/bin/python3 src/training/cells/train_cells.py --data ../shared/datasets --out target/cell-model

    --smoke      a few hundred images, one short epoch, export: proves the code still runs (CI does this)

    --resume     continue from the last epoch checkpoint in --out (a run can span sessions)

Data: the union of pbc_wbcatt, deepapl_cellavision and bm_cytomorphology (three labs, two of them with
blasts) with their own fixed train/val/test splits, labels mapped to the 14 cell types by
src/service/main/resources/models/cell-label-map.json (the same file the Java evaluator reads). Training uses
only `train`; model selection, the blast threshold and the per-slide alert rule use only `val`; `test`
and crosssite_aml_lmu are never read here except to write the Java/Python parity sample (test images,
after training has finished).

Selection is for generalisation, not in-domain fit: the epoch is chosen by the *worst* source's blast
recall at the specificity target (plus mean macro-F1), and the threshold is also reported
leave-one-source-out (chosen on the other sources' val cells, measured on the held-out source's).
Apparent cell size differs ~2.5x between labs: every source is scale-augmented to the same spread of
apparent sizes (`apparentScale` per dataset in the label map).

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
LABEL_MAP = os.path.join(REPO, "src", "service", "main", "resources", "models", "cell-label-map.json")

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
TRAINING_DATASETS = ("pbc_wbcatt", "deepapl_cellavision", "bm_cytomorphology")
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
                            attrs=attrs, patient=r.get("patient_id", ""),
                            scale=float(spec.get("apparentScale", 1.0))))
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

# Apparent cell size (relative to PBC at 128 px) that training spreads every source over, log-uniformly.
# PBC/DeepAPL are 1.0, the cross-site scanner ~1.5, the bone-marrow set ~2.25 (their READMEs); the range
# is wider than all of them so that a new lab's magnification falls inside it. Fixed before training,
# from the datasets' documentation, not from any evaluation image.
APPARENT_SIZE_RANGE = (0.7, 2.8)


def augment(x, gen, native_scale=None):
    """Batched augmentation on float [0,1] images: orientation, scale, focus, stain.

    Cells have no orientation, so any rotation and flips. Scale: each image is zoomed so that its
    apparent cell size (native_scale x zoom) is log-uniform over APPARENT_SIZE_RANGE, the same spread
    for every source, so size says nothing about which lab a cell came from. Zooming out fills the
    border with the image's own background colour (not a mirror image, which would add ghost cells).
    Stain variation: per-image hue rotation, saturation, gamma and per-channel gain; per-channel linear
    changes are also removed by the network's input instance normalisation, so hue/saturation/gamma
    are what matter. None of these ranges were chosen by looking at any evaluation set.
    """
    n = x.shape[0]
    dev = x.device
    u = lambda *s: torch.rand(*s, generator=gen, device=dev)
    angle = u(n) * 2 * math.pi
    if native_scale is None:
        native_scale = torch.ones(n, device=dev)
    lo, hi = math.log(APPARENT_SIZE_RANGE[0]), math.log(APPARENT_SIZE_RANGE[1])
    scale = torch.exp(lo + u(n) * (hi - lo)) / native_scale  # zoom factor
    flip = torch.where(u(n) < 0.5, -1.0, 1.0)
    tx, ty = (u(n) - 0.5) * 0.12, (u(n) - 0.5) * 0.12
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    border = torch.cat([x[:, :, :4, :].flatten(2), x[:, :, -4:, :].flatten(2),
                        x[:, :, :, :4].flatten(2), x[:, :, :, -4:].flatten(2)], 2)
    bg = border.median(2).values.view(n, 3, 1, 1)
    x = F.grid_sample(x - bg, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + bg

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


HEALTHY_SOURCES = ("PBC",)      # no blasts: their whole val split counts as non-blast (false-blast rate)
MIN_SPECIFICITY = 0.975          # per source with blasts, on its val non-blast cells
MAX_HEALTHY_FALSE_RATE = 0.005   # on healthy donors' val cells


def choose_blast_threshold(p_blast, is_blast, source, sources=None):
    """Lowest threshold (highest recall) at which *every* given source meets its specificity target on its
    val non-blast cells (MIN_SPECIFICITY; MAX_HEALTHY_FALSE_RATE for healthy sources). Val data only."""
    sources = sorted(set(source)) if sources is None else sources
    best = 0.99
    for t in np.round(np.arange(0.99, 0.01, -0.01), 2):
        ok = True
        for s in sources:
            neg = (source == s) & ~is_blast
            if not neg.any():
                continue
            false_rate = float((p_blast[neg] >= t).mean())
            if false_rate > (MAX_HEALTHY_FALSE_RATE if s in HEALTHY_SOURCES else 1 - MIN_SPECIFICITY):
                ok = False
        if not ok:
            break
        best = float(t)
    return best


def blast_report(p_blast, is_blast, source, t):
    """Per source: blast recall and specificity at threshold t."""
    out = {}
    for s in sorted(set(source)):
        m = source == s
        pos, neg = m & is_blast, m & ~is_blast
        out[s] = dict(recall=float((p_blast[pos] >= t).mean()) if pos.any() else float("nan"),
                      specificity=float((p_blast[neg] < t).mean()) if neg.any() else float("nan"),
                      blasts=int(pos.sum()), others=int(neg.sum()))
    return out


def leave_one_source_out(p_blast, is_blast, source):
    """For each source with blasts: the threshold chosen on the *other* sources' val cells, measured on the
    held-out source's val cells — how the threshold transfers to a lab it was not chosen on."""
    out = {}
    for held in sorted(set(source[is_blast])):
        others = [s for s in sorted(set(source)) if s != held]
        t = choose_blast_threshold(p_blast, is_blast, source, others)
        r = blast_report(p_blast, is_blast, source, t)[held]
        out[held] = dict(threshold=t, recall=r["recall"], specificity=r["specificity"])
    return out


def choose_slide_rule(p_blast, is_blast, slide, threshold):
    """Per-slide alert rule on val slides: alert when at least k cells reach the threshold AND they are at
    least fraction f of the slide's cells. Ground truth: a slide has blasts when >= 1 cell is labelled blast
    (what microscopy found).
    Picks the rule with the best Youden index (slide sensitivity - false-alert rate), ties to the more
    sensitive, then the most permissive (smallest k, then f)."""
    slides = sorted(set(slide))
    facts = []
    for s in slides:
        m = slide == s
        called = int((p_blast[m] >= threshold).sum())
        facts.append((called, called / int(m.sum()), bool(is_blast[m].any())))
    best = None
    for k in range(1, 11):
        for f in (0.0, 0.005, 0.01, 0.02, 0.03, 0.05):
            alert = [c >= k and fr >= f for c, fr, _ in facts]
            pos = [a for a, (_, _, b) in zip(alert, facts) if b]
            neg = [a for a, (_, _, b) in zip(alert, facts) if not b]
            sens = sum(pos) / max(1, len(pos))
            false = sum(neg) / max(1, len(neg))
            key = (sens - false, sens, -k, -f)
            if best is None or key > best[0]:
                best = (key, dict(minBlastCells=k, minBlastFraction=f, slideSensitivity=sens,
                                  falseAlertRate=false, slidesWithBlasts=len(pos), blastFreeSlides=len(neg)))
    return best[1]


# -------------------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(REPO, "..", "shared", "datasets"))
    ap.add_argument("--out", default=os.path.join(REPO, "target", "cell-model"))
    ap.add_argument("--epochs", type=int, default=16)
    ap.add_argument("--samples-per-epoch", type=int, default=12288)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--version", default="cellnet-2.0.0")
    ap.add_argument("--resume", action="store_true", help="continue from --out/checkpoint.pt")
    ap.add_argument("--init", default=None,
                    help="start from these weights (a checkpoint.pt or state dict of an earlier run) with a fresh "
                         "schedule: a warm restart, to extend a run that fit the time it had")
    ap.add_argument("--warmup-steps", type=int, default=300)
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
        for ds in TRAINING_DATASETS:
            r, skipped = read_rows(args.data, ds, lm, {split})
            rows[split] += r
            say(f"{ds} {split}: {len(r)} cells, skipped {sum(skipped.values())} {dict(skipped)}")
    if args.smoke:
        rnd = random.Random(args.seed)
        rows["train"] = rnd.sample(rows["train"], 320)
        rows["val"] = rnd.sample(rows["val"], 160)
        args.epochs, args.samples_per_epoch, args.batch = 1, 320, 32

    t0 = time.time()
    x_train, x_val = load_images(rows["train"]), load_images(rows["val"])
    say(f"loaded {len(x_train)} train + {len(x_val)} val images in {time.time() - t0:.0f}s")
    y_train = torch.tensor([r["type"] for r in rows["train"]])
    a_train = torch.tensor([r["attrs"] for r in rows["train"]])
    s_train = torch.tensor([r["scale"] for r in rows["train"]])
    y_val = np.array([r["type"] for r in rows["val"]])
    a_val = np.array([r["attrs"] for r in rows["val"]])
    src_val = np.array([r["source"] for r in rows["val"]])
    slide_val = np.array([r["source"] + ":" + r["patient"] if r["patient"] else "" for r in rows["val"]])
    blast = types.index("blast")
    is_blast_val = y_val == blast

    # Imbalance: classes sampled in proportion to n^0.35 (between natural frequency and uniform); within a
    # class, sources in proportion to n^0.5, so the bone-marrow lab's 350 blasts are not drowned by
    # DeepAPL's ~2,300 (a blast should look like a blast, not like one lab).
    counts = Counter(y_train.tolist())
    src_counts = Counter((r["type"], r["source"]) for r in rows["train"])
    say("train cells per type: " + ", ".join(f"{types[c]}={counts[c]}" for c in range(len(types))))
    say("train cells per (type, source): " + ", ".join(f"{types[c]}/{s}={n}" for (c, s), n in sorted(src_counts.items())))
    share = {}
    for c in counts:
        tot = sum(n ** 0.5 for (cc, _), n in src_counts.items() if cc == c)
        for (cc, s), n in src_counts.items():
            if cc == c:
                share[(c, s)] = n ** 0.5 / tot
    w = torch.tensor([counts[r["type"]] ** 0.35 * share[(r["type"], r["source"])] / src_counts[(r["type"], r["source"])]
                      for r in rows["train"]], dtype=torch.double)

    net = CellNet(len(types), [len(v) for v in ATTRIBUTE_VALUES.values()])
    say(f"model: {sum(p.numel() for p in net.parameters()) / 1e6:.2f} M parameters")
    if args.init:
        init = torch.load(args.init)
        net.load_state_dict(init["net"] if "net" in init else init)
        say(f"initialised from {args.init} (warm restart)")
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=5e-4)
    steps_per_epoch = args.samples_per_epoch // args.batch
    total = steps_per_epoch * args.epochs
    warm = min(args.warmup_steps, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, total - warm))))
    gen = torch.Generator().manual_seed(args.seed)

    best, best_state, history, first_epoch = -1.0, None, [], 0
    ckpt_path = os.path.join(args.out, "checkpoint.pt")
    if args.resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        net.load_state_dict(ck["net"]); opt.load_state_dict(ck["opt"]); sched.load_state_dict(ck["sched"])
        gen.set_state(ck["gen"]); best, best_state, history = ck["best"], ck["best_state"], ck["history"]
        first_epoch = ck["epoch"]
        t0 -= ck.get("elapsed", 0.0)
        say(f"resumed after epoch {first_epoch} (best score {best:.4f})")
    for epoch in range(first_epoch, args.epochs):
        net.train()
        t_ep = time.time()
        idx = torch.multinomial(w, steps_per_epoch * args.batch, replacement=True, generator=gen)
        run_loss = 0.0
        for s in range(steps_per_epoch):
            b = idx[s * args.batch:(s + 1) * args.batch]
            x = augment(x_train[b].float() / 255.0, gen, s_train[b])
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
        p_blast = p_types[:, blast].numpy()
        f1 = {s: macro_f1(y_val[src_val == s], pred[src_val == s], len(types)) for s in sorted(set(src_val))}
        attr_acc = np.mean([float((p_attrs[j].argmax(1).numpy()[a_val[:, j] >= 0] == a_val[a_val[:, j] >= 0, j]).mean())
                            for j in range(len(ATTRIBUTE_VALUES))]) if (a_val[:, 0] >= 0).any() else 0.0
        t_ep_thr = choose_blast_threshold(p_blast, is_blast_val, src_val)
        rep_ = blast_report(p_blast, is_blast_val, src_val, t_ep_thr)
        recalls = [v["recall"] for v in rep_.values() if v["blasts"] > 0]
        worst_recall = min(recalls) if recalls else 0.0
        # Selection: the worst blast source's recall at the specificity target, plus mean macro-F1.
        score = worst_recall + float(np.mean(list(f1.values())))
        history.append(dict(epoch=epoch + 1, loss=run_loss / steps_per_epoch, val_macro_f1=f1, val_attr_acc=attr_acc,
                            threshold=t_ep_thr, blast=rep_, worst_blast_recall=worst_recall, score=score))
        say(f"epoch {epoch + 1}/{args.epochs} loss {run_loss / steps_per_epoch:.4f} val macroF1 "
            + " ".join(f"{k} {v:.4f}" for k, v in f1.items())
            + f" attr {attr_acc:.4f} | blast t={t_ep_thr:.2f} "
            + " ".join(f"{k} rec {v['recall']:.3f} spec {v['specificity']:.3f}" for k, v in rep_.items())
            + f" | score {score:.4f} ({time.time() - t_ep:.0f}s, {steps_per_epoch * args.batch / (time.time() - t_ep):.0f} img/s)")
        if score > best:
            best, best_state = score, {k: v.clone() for k, v in net.state_dict().items()}
        torch.save(dict(net=net.state_dict(), opt=opt.state_dict(), sched=sched.state_dict(), gen=gen.get_state(),
                        best=best, best_state=best_state, history=history, epoch=epoch + 1,
                        elapsed=time.time() - t0), ckpt_path + ".tmp")
        os.replace(ckpt_path + ".tmp", ckpt_path)
    net.load_state_dict(best_state)
    torch.save(best_state, os.path.join(args.out, "cellnet.pt"))
    best_epoch = max(history, key=lambda h: h["score"])["epoch"]

    # Blast threshold and per-slide rule on val only.
    p_types, _ = predict(net, x_val)
    p_blast = p_types[:, blast].numpy()
    threshold = choose_blast_threshold(p_blast, is_blast_val, src_val)
    at_t = blast_report(p_blast, is_blast_val, src_val, threshold)
    loso = leave_one_source_out(p_blast, is_blast_val, src_val)
    say(f"best epoch {best_epoch}; blast threshold {threshold:.2f} on val: "
        + "; ".join(f"{k} recall {v['recall']:.4f} specificity {v['specificity']:.4f}" for k, v in at_t.items()))
    say("leave-one-source-out threshold: " + "; ".join(
        f"{k}: t={v['threshold']:.2f} (chosen without {k}) recall {v['recall']:.4f} specificity {v['specificity']:.4f}"
        for k, v in loso.items()))
    has_slide = slide_val != ""
    slide_rule = choose_slide_rule(p_blast[has_slide], is_blast_val[has_slide], slide_val[has_slide], threshold) \
        if has_slide.any() else dict(minBlastCells=1, minBlastFraction=0.0)
    slide_rule["chosenOn"] = "DeepAPL val patients (one slide each)"
    say(f"per-slide alert rule: {slide_rule}")

    training_summary = {
        "datasets": "pbc_wbcatt (PBC, Acevedo 2020, CC BY 4.0; WBCAtt attributes, MIT) + deepapl_cellavision "
                    "(DeepAPL, Sidhom 2021, licence not yet confirmed) + bm_cytomorphology (Matek 2021, MLL, CC BY 4.0)",
        "trainCells": len(x_train), "valCells": len(x_val),
        "trainCellsPerType": {types[c]: counts[c] for c in range(len(types))},
        "epochs": args.epochs, "bestEpoch": best_epoch, "samplesPerEpoch": args.samples_per_epoch, "seed": args.seed,
        "apparentSizeRange": list(APPARENT_SIZE_RANGE),
        "warmRestartFrom": os.path.basename(args.init) if args.init else None, "lr": args.lr,
        "selection": "epoch by worst source's val blast recall at the specificity target + mean val macro-F1; "
                     "blast threshold: lowest at which every val source meets its specificity target",
        "valBlastAtThreshold": at_t, "leaveOneSourceOut": loso,
        "smoke": bool(args.smoke),
    }
    onnx_path = os.path.join(args.out, "cell-classifier.onnx")
    export_onnx(net, onnx_path, types, threshold, args.version, training_summary, slide_rule)
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump(dict(history=history, blastThreshold=threshold, slideRule=slide_rule, summary=training_summary,
                       trainSeconds=time.time() - t0), f, indent=1)
    say(f"exported {onnx_path} ({os.path.getsize(onnx_path) / 1e6:.1f} MB) after {time.time() - t0:.0f}s")

    if args.parity_out:
        write_parity_sample(net, args, lm)


def finite_json(o):
    """JSON with NaN (a metric with no cells to measure on) written as null: strict parsers refuse NaN."""
    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return v
    return json.dumps(clean(o), allow_nan=False)


def export_onnx(net, path, types, threshold, version, summary, slide_rule=None, extra=None):
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
        "hemastream.training_data": finite_json(summary),
    }
    if slide_rule is not None:
        # The per-slide alert rule the service uses by default (alerts.minBlastCells / alerts.minBlastFraction
        # override it): chosen on val slides, see choose_slide_rule.
        meta["hemastream.slide_alert_rule"] = finite_json(slide_rule)
    meta.update(extra or {})
    for k, v in meta.items():
        p = m.metadata_props.add(); p.key, p.value = k, v
    m.producer_name = "hemastream train_cells.py"
    onnx.checker.check_model(m)
    onnx.save(m, path)


def write_parity_sample(net, args, lm, per_type=10):
    """Copy ~10 held-out test images per type (both sources) and record this model's outputs for them."""
    types = lm["cellTypes"]
    rows = []
    for ds in TRAINING_DATASETS:
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
