"""Tests of the site-adaptation script's data handling and refusals (no model weights needed).

    /usr/bin/python3 -m unittest discover -s src/training/cells -p 'test_*.py'
"""
import argparse
import csv
import os
import sys
import tempfile
import unittest

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adapt_cells as A  # noqa: E402
import train_cells as T  # noqa: E402

TYPES = T.load_label_map()["cellTypes"]


def write_manifest(folder, rows, header=("file", "label", "split")):
    os.makedirs(os.path.join(folder, "img"), exist_ok=True)
    path = os.path.join(folder, "manifest.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for i, r in enumerate(rows):
            name = f"img/c{i}.png"
            Image.fromarray(np.full((16, 16, 3), i % 255, np.uint8)).save(os.path.join(folder, name))
            w.writerow([name] + list(r))
    return path


class ManifestTest(unittest.TestCase):
    def test_aliases_non_blast_and_unknown_labels(self):
        with tempfile.TemporaryDirectory() as d:
            path = write_manifest(d, [("myeloblast", "x"), ("Neutrophil_Segmented", "x"), ("non_blast", "x"),
                                      ("plasma_cell", "x"), ("blast", "x")])
            rows, skipped = A.read_lab_manifest(path, TYPES)
            self.assertEqual([r["type"] for r in rows],
                             [TYPES.index("blast"), TYPES.index("segmented_neutrophil"), -1, TYPES.index("blast")])
            self.assertEqual(dict(skipped), {"plasma_cell": 1})
            self.assertTrue(rows[0]["path"].startswith(d))

    def test_slide_column_keeps_slides_in_one_fold(self):
        with tempfile.TemporaryDirectory() as d:
            path = write_manifest(d, [("blast", "x", f"s{i % 7}") for i in range(40)],
                                  header=("file", "label", "split", "slide_id"))
            rows, _ = A.read_lab_manifest(path, TYPES)
            folds = A.stratified_folds(rows, 3, seed=1)
            by_slide = {}
            for r, f in zip(rows, folds):
                by_slide.setdefault(r["slide"], set()).add(f)
            self.assertTrue(all(len(v) == 1 for v in by_slide.values()))
            self.assertEqual(set(folds), {0, 1, 2})

    def test_folds_spread_blasts_evenly(self):
        rows = [dict(type=TYPES.index("blast") if i < 25 else 0, slide="") for i in range(100)]
        folds = np.array(A.stratified_folds(rows, 5, seed=3))
        per_fold = [int(((folds == f) & (np.arange(100) < 25)).sum()) for f in range(5)]
        self.assertEqual(per_fold, [5, 5, 5, 5, 5])

    def test_missing_label_column_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "manifest.csv")
            with open(path, "w") as f:
                f.write("file,split\na.png,train\n")
            with self.assertRaisesRegex(A.Refused, "no 'label' column"):
                A.read_lab_manifest(path, TYPES)


class RefusalTest(unittest.TestCase):
    def args(self, manifest, out):
        return argparse.Namespace(manifest=manifest, site="t", out=out, parent=None, folds=5,
                                  target_specificity=0.97, steps=1, batch=4, lr=1e-3, threads=1, seed=1)

    def test_no_blasts_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            path = write_manifest(d, [("lymphocyte", "x")] * 150)
            with self.assertRaisesRegex(A.Refused, "no blasts"):
                A.run(self.args(path, os.path.join(d, "out")))

    def test_too_few_cells_or_blasts_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            path = write_manifest(d, [("blast", "x")] * 10 + [("lymphocyte", "x")] * 200)
            with self.assertRaisesRegex(A.Refused, "too little site data: 210 cells and 10 blasts"):
                A.run(self.args(path, os.path.join(d, "out")))


class ThresholdTest(unittest.TestCase):
    def test_threshold_meets_specificity_on_the_cells_it_was_chosen_on(self):
        rng = np.random.default_rng(0)
        p = np.concatenate([rng.uniform(0, 0.6, 400), rng.uniform(0.3, 1, 100)])
        is_blast = np.arange(500) >= 400
        t = A.threshold_for_specificity(p, is_blast, 0.97)
        self.assertGreaterEqual(float((p[~is_blast] < t).mean()), 0.97)
        # one step lower would break the target: the threshold is the most sensitive that meets it
        self.assertLess(float((p[~is_blast] < t - 0.005).mean()), 0.97)


if __name__ == "__main__":
    unittest.main()
