package org.hemastream.diagnosis.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.hemastream.diagnosis.CellVocabulary;
import org.hemastream.diagnosis.DiagnosticModel;
import org.hemastream.diagnosis.DiagnosticScorer;
import org.hemastream.diagnosis.FeatureAssembler;
import org.hemastream.inference.OnnxBatchClassifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code hemastream evaluate-diagnosis}: scores a held-out synthetic cohort built from the
 * <b>test</b>-split images (or a site's labelled export) with a diagnostic model and reports per-class
 * one-vs-rest AUCs with bootstrap 95 % intervals, the confusion matrix, the Brier score, ROC curves
 * ({@code roc.png}) and the same AUCs with the morphology features removed (what the {@code cbc-only}
 * stage sees). The last line is {@code specimens=<n> mds_auc=<a> min_auc=<m> macro_auc=<x>}.
 */
@Command(name = "evaluate-diagnosis", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Evaluates a diagnostic model on a held-out SYNTHETIC cohort of test-split cell images "
                + "(or on --from-csv).", "Last line: specimens=<n> mds_auc=<a> min_auc=<m> macro_auc=<x>"})
public final class EvaluateDiagnosisCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", description = "model folder or .txt (default: the jar's reference model)")
    Path model;

    @Option(names = "--cohort-size", paramLabel = "N", description = "synthetic patients (equal per diagnosis)")
    int cohortSize = 1200;

    @Option(names = "--seed", paramLabel = "S", description = "seeds the cohort and the bootstrap")
    long seed = 2;

    @Option(names = "--from-csv", paramLabel = "FILE", description = "evaluate on this labelled export instead of a cohort")
    Path fromCsv;

    @Option(names = "--datasets", paramLabel = "DIR", description = "folder holding pbc_wbcatt/ and deepapl_cellavision/")
    Path datasets = Path.of("../shared/datasets");

    @Option(names = "--cell-model", paramLabel = "PATH", description = "ONNX cell model (default: the jar's)")
    Path cellModel;

    @Option(names = "--images-per-type", paramLabel = "N", description = "cap on images per data set and cell type (0 = all)")
    int imagesPerType;

    @Option(names = "--bootstrap", paramLabel = "N", description = "bootstrap resamples for the 95 % intervals")
    int bootstrap = 1000;

    @Option(names = "--out", paramLabel = "DIR", description = "report folder (evaluation.json, roc.png)")
    Path out = Path.of("target/diagnosis-evaluation");

    @Option(names = "--threads", paramLabel = "N", description = "cell classification threads")
    int threads = 2;

    @Override
    public Integer call() throws Exception {
        PrintWriter console = spec.commandLine().getOut();
        try {
            return run(console);
        } catch (IllegalArgumentException | IOException e) {
            spec.commandLine().getErr().println("evaluate-diagnosis: " + e.getMessage());
            return 2;
        }
    }

    private int run(PrintWriter o) throws Exception {
        try (DiagnosticModel dm = DiagnosticModel.loadOrReference(model)) {
            FeatureTable table;
            String what;
            if (fromCsv != null) {
                table = FeatureTable.readCsv(fromCsv, dm.classes()).select(dm.features(), fromCsv.toString());
                what = "site export " + fromCsv;
            } else {
                try (OnnxBatchClassifier classifier = CohortTable.openClassifier(cellModel)) {
                    FeatureAssembler assembler = new FeatureAssembler(CellVocabulary.of(classifier.metadata()));
                    // Fails, naming them, when the cell model cannot supply the model's features.
                    new DiagnosticScorer(dm, assembler, classifier.modelVersion(), 5);
                    table = CohortTable.build(datasets, "test", cohortSize, seed, imagesPerType, classifier, assembler,
                            dm.features(), threads).table();
                    what = "SYNTHETIC cohort of test-split images (seed " + seed + "), cell model " + classifier.modelVersion();
                }
            }
            if (!table.classes().equals(dm.classes())) {
                throw new IllegalArgumentException("the data's classes " + table.classes() + " differ from the model's "
                        + dm.classes());
            }
            int k = dm.classes().size();
            double[] p = dm.probabilities(table.values(), table.rows());
            FeatureTable cbcOnly = table.withoutMorphology();
            double[] pCbc = dm.probabilities(cbcOnly.values(), cbcOnly.rows());
            DiagnosisMetrics full = DiagnosisMetrics.of(p, table.labels(), k, bootstrap, seed);
            DiagnosisMetrics cbc = DiagnosisMetrics.of(pCbc, table.labels(), k, bootstrap, seed);

            o.printf(Locale.ROOT, "diagnostic model %s (%s) on %s%n", dm.version(), dm.source(), what);
            o.printf(Locale.ROOT, "%d specimens; AUC one-vs-rest with 95%% bootstrap intervals (%d resamples)%n",
                    table.rows(), bootstrap);
            o.printf(Locale.ROOT, "%-10s %6s  %-17s %8s  %-17s %7s%n", "class", "AUC", "95% CI", "CBC-only", "95% CI", "gain");
            for (int c = 0; c < k; c++) {
                o.printf(Locale.ROOT, "%-10s %6.4f  [%6.4f, %6.4f]  %8.4f  [%6.4f, %6.4f] %+7.4f%n", dm.classes().get(c),
                        full.auc()[c], full.aucLow()[c], full.aucHigh()[c], cbc.auc()[c], cbc.aucLow()[c],
                        cbc.aucHigh()[c], full.auc()[c] - cbc.auc()[c]);
            }
            o.printf(Locale.ROOT, "macro AUC %.4f (CBC-only %.4f); Brier %.4f (CBC-only %.4f); accuracy %.4f (CBC-only %.4f)%n",
                    full.macroAuc(), cbc.macroAuc(), full.brier(), cbc.brier(), full.accuracy(), cbc.accuracy());
            // Specimens without a smear score the same either way: what morphology adds shows on the others.
            Subset smear = Subset.withSmear(table, p, pCbc, k);
            if (smear.rows() > 0) {
                DiagnosisMetrics sf = DiagnosisMetrics.of(smear.p(), smear.labels(), k, 0, seed);
                DiagnosisMetrics sc = DiagnosisMetrics.of(smear.pCbc(), smear.labels(), k, 0, seed);
                o.printf(Locale.ROOT, "specimens with a smear (%d): AUC with morphology / CBC-only:", smear.rows());
                for (int c = 0; c < k; c++) {
                    o.printf(Locale.ROOT, " %s %.4f/%.4f", dm.classes().get(c), sf.auc()[c], sc.auc()[c]);
                }
                o.printf(Locale.ROOT, "; Brier %.4f/%.4f%n", sf.brier(), sc.brier());
            }
            o.println("confusion matrix (rows: true, columns: predicted)");
            o.print(String.format(Locale.ROOT, "%-10s", ""));
            dm.classes().forEach(c -> o.printf(Locale.ROOT, "%9s", c));
            o.println();
            for (int t = 0; t < k; t++) {
                o.printf(Locale.ROOT, "%-10s", dm.classes().get(t));
                for (int q = 0; q < k; q++) {
                    o.printf(Locale.ROOT, "%9d", full.confusion()[t][q]);
                }
                o.println();
            }
            writeReport(dm, table, p, pCbc, full, cbc, what);
            int mds = dm.classes().indexOf("mds");
            o.printf(Locale.ROOT, "report: %s%n", out.toAbsolutePath());
            o.printf(Locale.ROOT, "specimens=%d mds_auc=%.4f min_auc=%.4f macro_auc=%.4f%n", table.rows(),
                    mds < 0 ? Double.NaN : full.auc()[mds], full.minAuc(), full.macroAuc());
        }
        return 0;
    }

    /** The rows of specimens with morphology, with both probability sets. */
    private record Subset(double[] p, double[] pCbc, int[] labels) {
        int rows() {
            return labels.length;
        }

        static Subset withSmear(FeatureTable t, double[] p, double[] pCbc, int k) {
            List<Integer> keep = new ArrayList<>();
            for (int i = 0; i < t.rows(); i++) {
                for (int j = 0; j < t.features().size(); j++) {
                    if (FeatureAssembler.isMorphology(t.features().get(j))
                            && !Double.isNaN(t.values()[i * t.features().size() + j])) {
                        keep.add(i);
                        break;
                    }
                }
            }
            double[] sp = new double[keep.size() * k];
            double[] sc = new double[keep.size() * k];
            int[] labels = new int[keep.size()];
            for (int r = 0; r < keep.size(); r++) {
                System.arraycopy(p, keep.get(r) * k, sp, r * k, k);
                System.arraycopy(pCbc, keep.get(r) * k, sc, r * k, k);
                labels[r] = t.labels()[keep.get(r)];
            }
            return new Subset(sp, sc, labels);
        }
    }

    private void writeReport(DiagnosticModel dm, FeatureTable table, double[] p, double[] pCbc, DiagnosisMetrics full,
                             DiagnosisMetrics cbc, String what) throws Exception {
        Files.createDirectories(out);
        int k = dm.classes().size();
        List<String> names = new ArrayList<>();
        List<List<double[]>> curves = new ArrayList<>();
        List<Boolean> dashed = new ArrayList<>();
        for (int c = 0; c < k; c++) {
            names.add(String.format(Locale.ROOT, "%s  AUC %.3f (CBC-only %.3f, dashed)", dm.classes().get(c),
                    full.auc()[c], cbc.auc()[c]));
            curves.add(DiagnosisMetrics.roc(p, table.labels(), k, c));
            dashed.add(false);
        }
        for (int c = 0; c < k; c++) {
            names.add("");
            curves.add(DiagnosisMetrics.roc(pCbc, table.labels(), k, c));
            dashed.add(true);
        }
        RocCurvesPng.write(out.resolve("roc.png"), "Diagnostic model " + dm.version() + ", synthetic held-out cohort",
                names, curves, dashed, k);

        ObjectMapper mapper = new ObjectMapper();
        ObjectNode report = mapper.createObjectNode();
        report.put("model", dm.version()).put("data", what).put("specimens", table.rows()).put("bootstrap", bootstrap);
        report.set("full", metrics(mapper, dm.classes(), full));
        report.set("cbcOnly", metrics(mapper, dm.classes(), cbc));
        mapper.writerWithDefaultPrettyPrinter().writeValue(out.resolve("evaluation.json").toFile(), report);
    }

    private static ObjectNode metrics(ObjectMapper mapper, List<String> classes, DiagnosisMetrics m) {
        ObjectNode n = mapper.createObjectNode();
        ObjectNode auc = n.putObject("auc");
        for (int c = 0; c < classes.size(); c++) {
            auc.putObject(classes.get(c)).put("auc", m.auc()[c]).put("low", m.aucLow()[c]).put("high", m.aucHigh()[c]);
        }
        n.put("macroAuc", m.macroAuc()).put("minAuc", m.minAuc()).put("brier", m.brier()).put("accuracy", m.accuracy());
        ArrayNode confusion = n.putArray("confusion");
        for (int[] row : m.confusion()) {
            ArrayNode r = confusion.addArray();
            for (int v : row) {
                r.add(v);
            }
        }
        return n;
    }
}
