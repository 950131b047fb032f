package org.hemastream.diagnosis;

import org.hemastream.events.CbcResult;
import org.hemastream.events.DiagnosticScore;
import org.hemastream.events.CellResult;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores specimens with a {@link DiagnosticModel}: features from the {@link FeatureAssembler}, class
 * probabilities and the top LightGBM contributions of the leading classes. Used alike by the streaming
 * service and {@code evaluate-diagnosis}, so both give the same probabilities for the same specimen.
 *
 * <p>Thread-safe. Blocking (native LightGBM): call it on a worker thread.
 */
public final class DiagnosticScorer {

    /** How many of the most probable classes carry explanations. */
    public static final int LEADING_CLASSES = 2;

    private final DiagnosticModel model;
    private final FeatureAssembler assembler;
    private final String cellModelVersion;
    private final int topFeatures;

    /**
     * @param topFeatures contributions reported per leading class
     * @throws IllegalArgumentException naming every feature of the model the cell model cannot supply
     */
    public DiagnosticScorer(DiagnosticModel model, FeatureAssembler assembler, String cellModelVersion, int topFeatures) {
        List<String> missing = assembler.unsupplied(model.features());
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("diagnostic model " + model.version() + " (" + model.source()
                    + ") needs features the cell model " + cellModelVersion + " cannot supply: " + missing
                    + " (the cell model has cell types " + assembler.vocabulary().cellTypes() + " and attributes "
                    + assembler.vocabulary().attributes().keySet() + ")");
        }
        this.model = model;
        this.assembler = assembler;
        this.cellModelVersion = cellModelVersion;
        this.topFeatures = topFeatures;
    }

    public DiagnosticModel model() {
        return model;
    }

    public FeatureAssembler assembler() {
        return assembler;
    }

    /**
     * Scores one specimen.
     *
     * @param cbc   null when none has arrived
     * @param cells the classified cells; null or empty for a {@code cbc-only} score
     */
    public DiagnosticScore score(String specimenId, DiagnosticScore.Stage stage, CbcResult cbc, List<CellResult> cells,
                                 String specimenState, List<String> reasons, Instant now) {
        List<CellResult> used = stage == DiagnosticScore.Stage.CBC_ONLY || cells == null ? List.of() : cells;
        double[] x = assembler.vector(model.features(), cbc, used);
        double[] p = model.probabilities(x, 1);
        Map<String, Double> probabilities = new LinkedHashMap<>();
        for (int k = 0; k < model.classes().size(); k++) {
            probabilities.put(model.classes().get(k), p[k]);
        }
        return new DiagnosticScore(DiagnosticScore.scoreId(specimenId, stage), specimenId, stage, probabilities,
                explain(x, p), model.version(), cellModelVersion,
                new DiagnosticScore.Completeness(specimenState, reasons, cbc != null, used.size()), now);
    }

    /** Probabilities of many feature rows at once (evaluation): rows × classes, row-major. */
    public double[] probabilities(double[] rowMajor, int rows) {
        return model.probabilities(rowMajor, rows);
    }

    private List<DiagnosticScore.ClassExplanation> explain(double[] x, double[] p) {
        List<Integer> order = new ArrayList<>();
        for (int k = 0; k < model.classes().size(); k++) {
            order.add(k);
        }
        // Ties by class order: deterministic.
        order.sort(Comparator.comparingDouble((Integer k) -> -p[k]).thenComparingInt(k -> k));
        double[] contrib = model.contributions(x, 1);
        int perClass = model.features().size() + 1;
        List<DiagnosticScore.ClassExplanation> out = new ArrayList<>();
        for (int i = 0; i < Math.min(LEADING_CLASSES, order.size()); i++) {
            int k = order.get(i);
            // A binary model explains its positive class; the negative one is its mirror image.
            int block = model.contributionClasses() == 1 ? 0 : k;
            double sign = model.contributionClasses() == 1 && k == 0 ? -1 : 1;
            List<DiagnosticScore.Contribution> cs = new ArrayList<>();
            for (int f = 0; f < model.features().size(); f++) {
                double c = sign * contrib[block * perClass + f];
                if (c != 0) {
                    cs.add(new DiagnosticScore.Contribution(model.features().get(f), x[f], c));
                }
            }
            cs.sort(Comparator.comparingDouble((DiagnosticScore.Contribution c) -> -Math.abs(c.contribution()))
                    .thenComparing(DiagnosticScore.Contribution::feature));
            out.add(new DiagnosticScore.ClassExplanation(model.classes().get(k), p[k],
                    cs.subList(0, Math.min(topFeatures, cs.size()))));
        }
        return out;
    }
}
