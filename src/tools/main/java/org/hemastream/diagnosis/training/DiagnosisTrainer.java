package org.hemastream.diagnosis.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.hemastream.diagnosis.DiagnosticModel;
import org.hemastream.diagnosis.LightGbmModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Trains the diagnostic LightGBM model on a {@link FeatureTable} and writes it with its sidecar.
 * Deterministic: {@code deterministic=true}, column-wise histograms, two threads and a fixed seed give
 * the same model text for the same table on the same LightGBM build.
 */
public final class DiagnosisTrainer {

    private static final Logger log = LoggerFactory.getLogger(DiagnosisTrainer.class);

    /** Boosting rounds of the reference model. */
    public static final int DEFAULT_ITERATIONS = 300;

    /** The trained model's two texts. */
    public record Trained(String modelText, ObjectNode sidecar) {
        public void write(Path dir) throws IOException {
            DiagnosticModel.write(dir, modelText, sidecar);
        }
    }

    /** LightGBM parameters: small trees, shrinkage, bagging — a tabular default, not tuned on evaluation data. */
    public static String params(int classes, long seed) {
        String objective = classes == 2 ? "objective=binary" : "objective=multiclass num_class=" + classes;
        return String.format(Locale.ROOT, "%s learning_rate=0.05 num_leaves=15 min_data_in_leaf=10 "
                + "feature_fraction=0.8 bagging_fraction=0.8 bagging_freq=1 lambda_l2=1.0 "
                + "deterministic=true force_col_wise=true num_threads=2 seed=%d verbosity=-1", objective, seed);
    }

    /**
     * @param version  the model version written to the sidecar
     * @param training what the sidecar says about the training data (cohort, commands, counts)
     */
    public Trained train(FeatureTable table, long seed, int iterations, String version, ObjectNode training) {
        String[] names = new String[table.features().size()];
        Set<String> unique = new HashSet<>();
        for (int j = 0; j < names.length; j++) {
            names[j] = DiagnosticModel.lightGbmName(table.features().get(j));
            if (!unique.add(names[j])) {
                throw new IllegalArgumentException("features '" + table.features().get(j) + "' and another one map to the"
                        + " same LightGBM name '" + names[j] + "'");
            }
        }
        int classes = table.classes().size();
        if (classes < 2) {
            throw new IllegalArgumentException("training needs at least two classes, the table has " + table.classes());
        }
        String params = params(classes, seed);
        long t0 = System.nanoTime();
        String text = LightGbmModel.train(table.values(), table.rows(), table.floatLabels(), names, params, iterations);
        log.info("trained {} on {} specimens x {} features in {} ms", version, table.rows(), names.length,
                (System.nanoTime() - t0) / 1_000_000);
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode sidecar = mapper.createObjectNode();
        sidecar.put("format", DiagnosticModel.FORMAT);
        sidecar.put("version", version);
        sidecar.put("description", "Diagnostic-assist model: LightGBM on XN CBC + cell-model morphology features. "
                + "Decision support, not a diagnosis.");
        table.classes().forEach(sidecar.putArray("classes")::add);
        table.features().forEach(sidecar.putArray("features")::add);
        ObjectNode t = sidecar.putObject("training");
        t.put("lightgbm", "lightgbm4j 4.3.0-1");
        t.put("params", params);
        t.put("iterations", iterations);
        t.put("specimens", table.rows());
        ObjectNode perClass = t.putObject("specimensPerClass");
        int[] counts = new int[classes];
        for (int l : table.labels()) {
            counts[l]++;
        }
        for (int k = 0; k < classes; k++) {
            perClass.put(table.classes().get(k), counts[k]);
        }
        if (training != null) {
            t.setAll(training);
        }
        return new Trained(text, sidecar);
    }
}
