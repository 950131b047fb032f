package org.hemastream.diagnosis;

import org.hemastream.events.CbcResult;
import org.hemastream.events.CellResult;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a specimen's CBC and classified cells into the diagnostic model's features — the one place
 * that does so: the cohort generator, {@code train-diagnosis}, {@code evaluate-diagnosis} and the
 * streaming service all call it, so training and serving cannot drift. Pure: no I/O, no Vert.x, Kafka
 * or LightGBM; thread-safe.
 *
 * <p>Feature names:
 * <ul>
 *   <li>a CBC code exactly as the XN reports it ({@code WBC}, {@code NEUT#}, {@code RDW-SD}, …): its
 *       value in the analyzer's unit; missing when the CBC lacks the code or there is no CBC;</li>
 *   <li>{@code flag_<flag>}: 1 when the CBC carries the flag (e.g. {@code flag_Blasts?}), else 0;
 *       missing without a CBC;</li>
 *   <li>{@code pct_<cellType>}: percent of the classified cells (0–100) the cell model called that type;</li>
 *   <li>{@code rate_<attribute>=<value>}: fraction (0–1) of the classified white cells of the types the
 *       WBCAtt annotators described ({@link #WBC_TYPES}) whose most probable value of the attribute is
 *       that value.</li>
 * </ul>
 * Morphology features are missing ({@code NaN}) when there are no classified cells (no smear yet, or a
 * CBC-only specimen); LightGBM's missing-value branches then score the specimen on its CBC alone.
 */
public final class FeatureAssembler {

    /** Prefix of cell-type percentages. */
    public static final String PCT = "pct_";
    /** Prefix of attribute rates. */
    public static final String RATE = "rate_";
    /** Prefix of CBC flag indicators. */
    public static final String FLAG = "flag_";
    /**
     * The white cells over which attribute rates are taken: the types WBCAtt annotated (Tsutsui et al.,
     * WBCAtt, NeurIPS 2023 — neutrophils, lymphocytes, monocytes, eosinophils, basophils). Cells the
     * attributes were not defined for (blasts, platelets, smudge cells, …) would only add noise.
     */
    public static final Set<String> WBC_TYPES = Set.of("segmented_neutrophil", "band_neutrophil", "lymphocyte",
            "monocyte", "eosinophil", "basophil");

    private final CellVocabulary vocabulary;

    /** @param vocabulary what the cell model can supply (for {@link #unsupplied}) */
    public FeatureAssembler(CellVocabulary vocabulary) {
        this.vocabulary = vocabulary;
    }

    public CellVocabulary vocabulary() {
        return vocabulary;
    }

    /**
     * The features of one specimen, in the order of {@code features}.
     *
     * @param cbc   the CBC, or null when none has arrived
     * @param cells the classified cells, or null/empty when there is no morphology (yet)
     */
    public double[] vector(List<String> features, CbcResult cbc, List<CellResult> cells) {
        Morphology m = Morphology.of(cells);
        double[] out = new double[features.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = value(features.get(i), cbc, m);
        }
        return out;
    }

    /** The same features by name (for reports and the CSV export). */
    public Map<String, Double> named(List<String> features, CbcResult cbc, List<CellResult> cells) {
        double[] v = vector(features, cbc, cells);
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < v.length; i++) {
            out.put(features.get(i), v[i]);
        }
        return out;
    }

    /**
     * The features this cell model cannot supply: a {@code pct_} of a cell type it lacks, a
     * {@code rate_} of an attribute or value it lacks, or a malformed name. CBC codes and flags are
     * the analyzer's and always count as suppliable.
     */
    public List<String> unsupplied(List<String> features) {
        List<String> missing = new ArrayList<>();
        for (String f : features) {
            if (f.startsWith(PCT)) {
                if (!vocabulary.cellTypes().contains(f.substring(PCT.length()))) {
                    missing.add(f);
                }
            } else if (f.startsWith(RATE)) {
                String[] av = splitRate(f);
                List<String> values = av == null ? null : vocabulary.attributes().get(av[0]);
                if (values == null || !values.contains(av[1])) {
                    missing.add(f);
                }
            } else if (f.equals(FLAG) || f.isBlank()) {
                missing.add(f);
            }
        }
        return missing;
    }

    /**
     * The morphology feature names this vocabulary supplies: {@code pct_} of every cell type, then
     * {@code rate_} of every attribute value.
     */
    public List<String> morphologyFeatures() {
        List<String> out = new ArrayList<>();
        vocabulary.cellTypes().forEach(t -> out.add(PCT + t));
        vocabulary.attributes().forEach((a, values) -> values.forEach(v -> out.add(RATE + a + "=" + v)));
        return out;
    }

    /** Whether a feature comes from the smear (missing in a {@code cbc-only} score). */
    public static boolean isMorphology(String feature) {
        return feature.startsWith(PCT) || feature.startsWith(RATE);
    }

    private static double value(String feature, CbcResult cbc, Morphology m) {
        if (feature.startsWith(PCT)) {
            return m.classified == 0 ? Double.NaN
                    : 100.0 * m.byType.getOrDefault(feature.substring(PCT.length()), 0) / m.classified;
        }
        if (feature.startsWith(RATE)) {
            String[] av = splitRate(feature);
            if (av == null || m.wbc == 0) {
                return Double.NaN;
            }
            return (double) m.byAttributeValue.getOrDefault(av[0] + "=" + av[1], 0) / m.wbc;
        }
        if (cbc == null) {
            return Double.NaN;
        }
        if (feature.startsWith(FLAG)) {
            return cbc.flags().contains(feature.substring(FLAG.length())) ? 1.0 : 0.0;
        }
        CbcResult.Measurement v = cbc.parameters().get(feature);
        return v == null ? Double.NaN : v.value();
    }

    /** {@code rate_a=v} → {a, v}; null when malformed. Values may contain '=' (split at the first). */
    private static String[] splitRate(String feature) {
        String rest = feature.substring(RATE.length());
        int eq = rest.indexOf('=');
        return eq <= 0 ? null : new String[]{rest.substring(0, eq), rest.substring(eq + 1)};
    }

    /** Counts over the classified cells. */
    private record Morphology(int classified, int wbc, Map<String, Integer> byType,
                              Map<String, Integer> byAttributeValue) {
        static Morphology of(List<CellResult> cells) {
            Map<String, Integer> byType = new HashMap<>();
            Map<String, Integer> byValue = new HashMap<>();
            int wbc = 0;
            if (cells == null) {
                return new Morphology(0, 0, byType, byValue);
            }
            for (CellResult c : cells) {
                byType.merge(c.cellType(), 1, Integer::sum);
                if (WBC_TYPES.contains(c.cellType())) {
                    wbc++;
                    c.attributes().forEach((a, call) -> byValue.merge(a + "=" + call.value(), 1, Integer::sum));
                }
            }
            return new Morphology(cells.size(), wbc, byType, byValue);
        }
    }
}
