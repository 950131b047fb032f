#!/usr/bin/python3
"""Adapt hemastream's cell classifier to one lab's scanner with a few hundred of its labelled cells.

    /usr/bin/python3 src/training/cells/adapt_cells.py --manifest LAB/manifest.csv --site my-lab \
        --out target/site-model [--folds 5] [--target-specificity 0.97]

The lab's manifest: `file,label,split` (+ optional `slide_id` or `patient_id`), `file` relative to the
manifest's folder; labels are the 14 cell-type names (or an alias: `genericManifest` in the label map) or `non_blast` for cells
known only not to be blasts. Unknown labels are skipped and counted. Every row is used, whatever its
split: this is the lab's own calibration data.

What it fits, and why only that: the convolutional features stay as shipped (a few hundred cells cannot
retrain 3.4 M parameters without over-fitting); it re-estimates the batch-norm statistics on the lab's
images (AdaBN: the lab's stain and scanner shift the feature distributions) and fine-tunes the batch-norm
affine parameters and the cell-type head, with the training augmentations, for a fixed small number of
steps. Then it picks the blast threshold for the target specificity.

Honest metrics: with k folds, each fold's cells are scored by a model adapted on the other k-1 folds, at a
threshold chosen on those k-1 folds; every fold and the pooled held-out result are printed, before
(shipped model, shipped threshold) and after. The exported model is then adapted on all the lab's cells;
its threshold is chosen on the pooled out-of-fold scores (cells no model had seen), not on its own fit.

Writes OUT/cell-classifier.onnx (self-describing, same contract; `hemastream.provenance` records the
parent model and its SHA-256, the site data's count and SHA-256 and the before/after metrics) and
OUT/adaptation.json. Refuses data that is too small or has no blasts.

Needs the parent's PyTorch weights (src/training/cells/weights/<version>.pt, committed beside the ONNX
model that ships in the jar) and Debian's python3-torch.
"""
import argparse
import csv
import datetime
import hashlib
import json
import os
import random
import sys
import time
from collections import Counter

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_cells as T  # noqa: E402

WEIGHTS_DIR = os.path.join(T.HERE, "weights")
SHIPPED_ONNX = os.path.join(T.REPO, "src", "service", "main", "resources", "models", "cell-classifier.onnx")

# Label aliases a lab's manifest may use besides the 14 type names, and the non-blast label: the
# `genericManifest` block of the label map, which `evaluate-cells` and `calibrate-cells` read too.
_GENERIC = T.load_label_map()["genericManifest"]
ALIASES = _GENERIC["aliases"]
NON_BLAST = _GENERIC["nonBlastLabel"]
MIN_CELLS, MIN_BLASTS, MIN_NON_BLASTS = 100, 20, 50  # the same floor as `calibrate-cells`


class Refused(Exception):
    pass


def read_lab_manifest(path, types):
    """Rows (path, type index or -1 for non_blast, slide) and the counts of skipped labels."""
    base = os.path.dirname(os.path.abspath(path))
    rows, skipped = [], Counter()
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        for col in ("file", "label"):
            if col not in (reader.fieldnames or []):
                raise Refused(f"manifest {path} has no '{col}' column (needs file,label,split)")
        slide_col = next((c for c in ("slide_id", "patient_id") if c in reader.fieldnames), None)
        for r in reader:
            label = r["label"].strip().lower()
            label = ALIASES.get(label, label)
            if label == NON_BLAST:
                t = -1
            elif label in types:
                t = types.index(label)
            else:
                skipped[r["label"]] += 1
                continue
            rows.append(dict(path=os.path.join(base, r["file"]), file=r["file"], type=t,
                             slide=r.get(slide_col, "") if slide_col else ""))
    return rows, skipped


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def site_data_hash(rows):
    """SHA-256 over the (file, label) list and every image's bytes: names the exact data adapted on."""
    h = hashlib.sha256()
    for r in sorted(rows, key=lambda r: r["file"]):
        h.update(f"{r['file']}\t{r['type']}\n".encode())
        with open(r["path"], "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def blast_metrics(p_blast, is_blast, t):
    pos, neg = is_blast, ~is_blast
    return dict(threshold=float(t),
                recall=float((p_blast[pos] >= t).mean()) if pos.any() else float("nan"),
                specificity=float((p_blast[neg] < t).mean()) if neg.any() else float("nan"),
                blasts=int(pos.sum()), others=int(neg.sum()))


def threshold_for_specificity(p_blast, is_blast, target):
    """Lowest threshold (highest recall) whose specificity on these non-blast cells is >= target."""
    neg = np.sort(p_blast[~is_blast])
    best = 0.99
    for t in np.round(np.arange(0.99, 0.005, -0.005), 3):
        if float((neg >= t).mean()) <= 1 - target:
            best = float(t)
        else:
            break
    return best


def stratified_folds(rows, k, seed):
    """Fold index per row; blasts, other typed cells and non_blast cells each spread evenly; whole slides
    stay in one fold when slide IDs exist (cells of one slide are not independent)."""
    rnd = random.Random(seed)
    fold = [0] * len(rows)
    if any(r["slide"] for r in rows):
        slides = sorted({r["slide"] for r in rows})
        rnd.shuffle(slides)
        by = {s: i % k for i, s in enumerate(slides)}
        return [by[r["slide"]] for r in rows]
    groups = {}
    for i, r in enumerate(rows):
        groups.setdefault(r["type"], []).append(i)
    offset = 0
    for key in sorted(groups):
        idx = groups[key]
        rnd.shuffle(idx)
        for j, i in enumerate(idx):
            fold[i] = (j + offset) % k
        offset += len(idx)
    return fold


def load_parent(version, types):
    path = os.path.join(WEIGHTS_DIR, version + ".pt")
    if not os.path.exists(path):
        raise Refused(f"no PyTorch weights for parent model {version} at {path}")
    net = T.CellNet(len(types), [len(v) for v in T.ATTRIBUTE_VALUES.values()])
    state = torch.load(path)
    net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    return net


def adapt(parent, x, y, steps, batch, lr, seed):
    """AdaBN + fine-tuning of batch-norm affine parameters and the cell-type head on (x, y).
    y: type index, or -1 for non_blast (trained only to lower P(blast))."""
    net = T.CellNet(parent.type_head.out_features, [h.out_features for h in parent.attr_heads])
    net.load_state_dict(parent.state_dict())
    gen = torch.Generator().manual_seed(seed)
    mean = torch.tensor(T.MEAN).view(1, 3, 1, 1)
    std = torch.tensor(T.STD).view(1, 3, 1, 1)
    # 1. AdaBN: re-estimate batch-norm statistics on the lab's (augmented) images.
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats(); m.momentum = None  # cumulative average
    net.train()
    with torch.no_grad():
        for _ in range(max(4, 2 * len(x) // batch)):
            b = torch.randint(0, len(x), (batch,), generator=gen)
            net(((T.augment(x[b].float() / 255.0, gen) - mean) / std))
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = 0.01
    # 2. Fine-tune batch-norm affine parameters and the type head; everything else frozen.
    for p in net.parameters():
        p.requires_grad_(False)
    params = [p for m in net.modules() if isinstance(m, nn.BatchNorm2d) for p in m.parameters()]
    params += list(net.type_head.parameters())
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
    blast = T.load_label_map()["cellTypes"].index("blast")
    w = torch.tensor([3.0 if int(t) == blast else 1.0 for t in y], dtype=torch.double)
    for s in range(steps):
        b = torch.multinomial(w, batch, replacement=True, generator=gen)
        xb = (T.augment(x[b].float() / 255.0, gen) - mean) / std
        logits, _ = net(xb)
        yb = y[b]
        typed = yb >= 0
        loss = torch.zeros(())
        if typed.any():
            loss = loss + F.cross_entropy(logits[typed], yb[typed], label_smoothing=0.05)
        if (~typed).any():
            p_blast = F.softmax(logits[~typed], 1)[:, blast]
            loss = loss - torch.log1p(-p_blast.clamp(max=1 - 1e-6)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    net.eval()
    return net


def p_blast_of(net, x, blast):
    p, _ = T.predict(net, x)
    return p[:, blast].numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--site", required=True, help="a short name for the lab/scanner, recorded in the model")
    ap.add_argument("--out", required=True)
    ap.add_argument("--parent", default=None, help="parent model version (default: the one shipped in the jar)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--target-specificity", type=float, default=0.97)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20261201)
    args = ap.parse_args()
    torch.manual_seed(args.seed); random.seed(args.seed); np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    try:
        run(args)
    except Refused as e:
        print(f"adapt-cells: refused: {e}", file=sys.stderr)
        sys.exit(2)


def parent_metadata():
    import onnx
    m = onnx.load(SHIPPED_ONNX, load_external_data=False)
    return {p.key: p.value for p in m.metadata_props}


def run(args):
    lm = T.load_label_map()
    types = lm["cellTypes"]
    blast = types.index("blast")
    meta = parent_metadata()
    version = args.parent or meta["hemastream.model_version"]
    rows, skipped = read_lab_manifest(args.manifest, types)
    y = torch.tensor([r["type"] for r in rows])
    is_blast = (y == blast).numpy()
    n_blast = int(is_blast.sum())
    print(f"site data: {len(rows)} cells, {n_blast} blasts, {int((y == -1).sum())} non_blast; "
          f"skipped {sum(skipped.values())} {dict(skipped)}")
    if n_blast == 0:
        raise Refused("the site data has no blasts: blast sensitivity cannot be calibrated or measured")
    if len(rows) < MIN_CELLS or n_blast < MIN_BLASTS or len(rows) - n_blast < MIN_NON_BLASTS:
        raise Refused(f"too little site data: {len(rows)} cells and {n_blast} blasts; needs at least "
                      f"{MIN_CELLS} cells, {MIN_BLASTS} blasts and {MIN_NON_BLASTS} other cells")
    if n_blast < 2 * args.folds or (len(rows) - n_blast) < 2 * args.folds:
        raise Refused(f"{args.folds} folds need at least {2 * args.folds} blasts and as many other cells")
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    x = T.load_images(rows)
    parent = load_parent(version, types)
    parent.eval()
    parent_threshold = json.loads(meta["hemastream.thresholds"])["blast"]
    p_before = p_blast_of(parent, x, blast)

    fold = np.array(stratified_folds(rows, args.folds, args.seed))
    folds, oof = [], np.zeros(len(rows))
    for f in range(args.folds):
        fit, held = fold != f, fold == f
        fit_idx = torch.from_numpy(np.flatnonzero(fit))
        if not is_blast[held].any() or not is_blast[fit].any():
            raise Refused(f"fold {f + 1} has no blasts on one side; use fewer folds")
        net = adapt(parent, x[fit_idx], y[fit_idx], args.steps, args.batch, args.lr, args.seed + f)
        p_fit = p_blast_of(net, x[fit_idx], blast)
        t = threshold_for_specificity(p_fit, is_blast[fit], args.target_specificity)
        held_idx = torch.from_numpy(np.flatnonzero(held))
        p_held = p_blast_of(net, x[held_idx], blast)
        oof[held] = p_held
        # "before" on the same held-out fold: shipped model at its shipped threshold, and shipped model with
        # the threshold alone recalibrated on the other folds (what `calibrate-cells` does, no training)
        t_cal = threshold_for_specificity(p_before[fit], is_blast[fit], args.target_specificity)
        rec = dict(fold=f + 1, cells=int(held.sum()),
                   before=blast_metrics(p_before[held], is_blast[held], parent_threshold),
                   calibrated_only=blast_metrics(p_before[held], is_blast[held], t_cal),
                   adapted=blast_metrics(p_held, is_blast[held], t))
        folds.append(rec)
        print(f"fold {f + 1}/{args.folds}: {rec['cells']} held-out cells | shipped t={parent_threshold:.2f} "
              f"recall {rec['before']['recall']:.4f} spec {rec['before']['specificity']:.4f} | threshold only "
              f"t={t_cal:.3f} recall {rec['calibrated_only']['recall']:.4f} spec {rec['calibrated_only']['specificity']:.4f}"
              f" | adapted t={t:.3f} recall {rec['adapted']['recall']:.4f} spec {rec['adapted']['specificity']:.4f}",
              flush=True)

    def pooled(key):
        tp = sum(round(r[key]["recall"] * r[key]["blasts"]) for r in folds)
        tn = sum(round(r[key]["specificity"] * r[key]["others"]) for r in folds)
        return dict(recall=tp / n_blast, specificity=tn / (len(rows) - n_blast))

    summary = {k: pooled(k) for k in ("before", "calibrated_only", "adapted")}
    final_threshold = threshold_for_specificity(oof, is_blast, args.target_specificity)
    print(f"pooled held-out ({args.folds}-fold, {len(rows)} cells, {n_blast} blasts): "
          + " | ".join(f"{k} recall {v['recall']:.4f} specificity {v['specificity']:.4f}" for k, v in summary.items()))
    final = adapt(parent, x, y, args.steps, args.batch, args.lr, args.seed + 1000)
    provenance = {
        "kind": "site-adapted cell classifier (AdaBN + batch-norm/head fine-tuning)",
        "site": args.site,
        "parentModel": version,
        "parentModelSha256": sha256_file(SHIPPED_ONNX),
        "siteData": {"manifest": os.path.basename(args.manifest), "manifestSha256": sha256_file(args.manifest),
                     "dataSha256": site_data_hash(rows), "cells": len(rows), "blasts": n_blast,
                     "nonBlastOnly": int((y == -1).sum()), "skippedLabels": dict(skipped)},
        "targetSpecificity": args.target_specificity,
        "thresholdChosenOn": "pooled out-of-fold P(blast) of the k-fold adapted models",
        "folds": folds, "heldOut": summary,
        "settings": {"folds": args.folds, "steps": args.steps, "batch": args.batch, "lr": args.lr, "seed": args.seed},
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    training = json.loads(meta.get("hemastream.training_data", "{}"))
    training["siteAdaptation"] = {"site": args.site, "cells": len(rows)}
    slide_rule = json.loads(meta["hemastream.slide_alert_rule"]) if "hemastream.slide_alert_rule" in meta else None
    site_version = f"{version}+{args.site}"
    onnx_path = os.path.join(args.out, "cell-classifier.onnx")
    T.export_onnx(final, onnx_path, types, final_threshold, site_version, training, slide_rule,
                  extra={"hemastream.provenance": T.finite_json(provenance)})
    with open(os.path.join(args.out, "adaptation.json"), "w") as f:
        json.dump(dict(provenance, modelVersion=site_version, blastThreshold=final_threshold), f, indent=1)
    print(f"exported {onnx_path} ({site_version}, blast threshold {final_threshold:.3f}) in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
