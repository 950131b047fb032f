package org.hemastream.diagnosis;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Regression test for LightGBM4J 4.3.0-1's multiclass bug: its {@code predictForMat} sizes the output
 * as 2 × rows and, for ≥ 3 classes, corrupts the native heap (the JVM aborts). {@link LightGbmModel}
 * sizes the buffer with {@code LGBM_BoosterCalcNumPredict}; here it must neither crash nor differ from an
 * independent evaluation of the same trees, parsed from the model text.
 */
class LightGbmModelTest {

    private static final int FEATURES = 4;

    /** Three classes separated by features 0 and 1; feature 2 noise; feature 3 often missing. */
    private static double[] data(int rows, int[] labels, Random r) {
        double[] x = new double[rows * FEATURES];
        for (int i = 0; i < rows; i++) {
            int y = i % 3;
            labels[i] = y;
            x[i * FEATURES] = y == 0 ? r.nextGaussian() : 2 + r.nextGaussian();
            x[i * FEATURES + 1] = y == 2 ? 3 + r.nextGaussian() : r.nextGaussian();
            x[i * FEATURES + 2] = r.nextGaussian();
            x[i * FEATURES + 3] = r.nextDouble() < 0.4 ? Double.NaN : y + r.nextGaussian();
        }
        return x;
    }

    private static String trainThreeClassModel() {
        int rows = 300;
        int[] labels = new int[rows];
        double[] x = data(rows, labels, new Random(7));
        float[] y = new float[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = labels[i];
        }
        return LightGbmModel.train(x, rows, y, new String[]{"WBC", "NEUT#", "noise", "pct_blast"},
                "objective=multiclass num_class=3 num_leaves=7 min_data_in_leaf=5 learning_rate=0.2 deterministic=true "
                        + "force_col_wise=true num_threads=2 seed=3 verbosity=-1", 15);
    }

    @Test
    void multiclassProbabilitiesForManyRowsDoNotCrashAndMatchAnIndependentTreeWalk() {
        String text = trainThreeClassModel();
        int rows = 64;
        double[] x = data(rows, new int[rows], new Random(11));
        try (LightGbmModel model = LightGbmModel.fromString(text)) {
            assertThat(model.numClasses()).isEqualTo(3);
            double[] p = model.predict(x, rows);
            assertThat(p).as("one probability per row and class: 3 x rows, not LightGBM4J's 2 x rows").hasSize(rows * 3);
            ReferenceTrees reference = ReferenceTrees.parse(text);
            for (int i = 0; i < rows; i++) {
                double[] row = java.util.Arrays.copyOfRange(x, i * FEATURES, (i + 1) * FEATURES);
                double[] expected = softmax(reference.raw(row));
                for (int k = 0; k < 3; k++) {
                    assertThat(p[i * 3 + k]).as("row %d class %d", i, k).isCloseTo(expected[k], within(1e-9));
                }
            }
        }
    }

    /**
     * Regression test for a JVM crash: LightGBM's contribution prediction lazily fills per-tree state
     * (Tree::RecomputeMaxDepth → RecomputeLeafDepths) on the first call after loading, so the first
     * concurrent calls on a fresh booster crashed with SIGSEGV when the stream scored two specimens on two
     * worker threads. {@link LightGbmModel} serialises predictions; here fresh models are hit by four
     * threads released at once.
     */
    @Test
    void contributionsFromSeveralThreadsOnAFreshModelDoNotCrashAndAgreeWithOneThread() throws Exception {
        int rows = 300;
        int[] labels = new int[rows];
        double[] train = data(rows, labels, new Random(7));
        float[] y = new float[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = labels[i];
        }
        String text = LightGbmModel.train(train, rows, y, new String[]{"WBC", "NEUT#", "noise", "pct_blast"},
                "objective=multiclass num_class=3 num_leaves=31 min_data_in_leaf=2 learning_rate=0.05 deterministic=true "
                        + "force_col_wise=true num_threads=2 seed=3 verbosity=-1", 200);
        double[] x = data(2, new int[2], new Random(21));
        double[] expected;
        try (LightGbmModel reference = LightGbmModel.fromString(text)) {
            expected = reference.contributions(x, 2);
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 20; round++) {
                try (LightGbmModel fresh = LightGbmModel.fromString(text)) {
                    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                    List<java.util.concurrent.Future<double[]>> results = new ArrayList<>();
                    for (int t = 0; t < 4; t++) {
                        results.add(pool.submit(() -> {
                            go.await();
                            return fresh.contributions(x, 2);
                        }));
                    }
                    go.countDown();
                    for (java.util.concurrent.Future<double[]> r : results) {
                        assertThat(r.get()).containsExactly(expected);
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void contributionsOfEveryClassSumToItsRawScore() {
        String text = trainThreeClassModel();
        int rows = 20;
        double[] x = data(rows, new int[rows], new Random(13));
        try (LightGbmModel model = LightGbmModel.fromString(text)) {
            double[] c = model.contributions(x, rows);
            assertThat(c).hasSize(rows * 3 * (FEATURES + 1));
            ReferenceTrees reference = ReferenceTrees.parse(text);
            for (int i = 0; i < rows; i++) {
                double[] raw = reference.raw(java.util.Arrays.copyOfRange(x, i * FEATURES, (i + 1) * FEATURES));
                for (int k = 0; k < 3; k++) {
                    double sum = 0;
                    for (int f = 0; f <= FEATURES; f++) {
                        sum += c[(i * 3 + k) * (FEATURES + 1) + f];
                    }
                    assertThat(sum).as("row %d class %d", i, k).isCloseTo(raw[k], within(1e-9));
                }
            }
        }
    }

    @Test
    void trainingIsDeterministic() {
        assertThat(trainThreeClassModel()).isEqualTo(trainThreeClassModel());
    }

    private static double[] softmax(double[] raw) {
        double max = java.util.Arrays.stream(raw).max().orElse(0);
        double sum = 0;
        double[] out = new double[raw.length];
        for (int k = 0; k < raw.length; k++) {
            out[k] = Math.exp(raw[k] - max);
            sum += out[k];
        }
        for (int k = 0; k < raw.length; k++) {
            out[k] /= sum;
        }
        return out;
    }

    /** Numerical trees read from LightGBM's text format and walked as LightGBM's Tree::NumericalDecision does. */
    private record ReferenceTrees(int classes, List<Map<String, double[]>> trees) {

        static ReferenceTrees parse(String text) {
            int classes = 1;
            List<Map<String, double[]>> trees = new ArrayList<>();
            Map<String, double[]> current = null;
            for (String line : text.split("\n")) {
                if (line.startsWith("num_class=")) {
                    classes = Integer.parseInt(line.substring("num_class=".length()).trim());
                } else if (line.startsWith("Tree=")) {
                    current = new HashMap<>();
                    trees.add(current);
                } else if (line.startsWith("end of trees")) {
                    current = null;
                } else if (current != null && line.contains("=")) {
                    String key = line.substring(0, line.indexOf('='));
                    if (List.of("split_feature", "threshold", "decision_type", "left_child", "right_child", "leaf_value")
                            .contains(key)) {
                        String[] parts = line.substring(line.indexOf('=') + 1).trim().split(" ");
                        double[] v = new double[parts.length];
                        for (int i = 0; i < parts.length; i++) {
                            v[i] = Double.parseDouble(parts[i]);
                        }
                        current.put(key, v);
                    }
                }
            }
            return new ReferenceTrees(classes, trees);
        }

        double[] raw(double[] row) {
            double[] out = new double[classes];
            for (int t = 0; t < trees.size(); t++) {
                Map<String, double[]> tree = trees.get(t);
                double[] leaves = tree.get("leaf_value");
                int node = 0;
                if (tree.containsKey("split_feature")) {
                    while (node >= 0) {
                        double v = row[(int) tree.get("split_feature")[node]];
                        int decision = (int) tree.get("decision_type")[node];
                        int missing = (decision >> 2) & 3;
                        boolean defaultLeft = (decision & 2) != 0;
                        if (Double.isNaN(v) && missing != 2) {
                            v = 0;
                        }
                        boolean left;
                        if ((missing == 1 && Math.abs(v) <= 1e-35) || (missing == 2 && Double.isNaN(v))) {
                            left = defaultLeft;
                        } else {
                            left = v <= tree.get("threshold")[node];
                        }
                        node = (int) (left ? tree.get("left_child")[node] : tree.get("right_child")[node]);
                    }
                    node = ~node;
                }
                out[t % classes] += leaves[node];
            }
            return out;
        }
    }
}
