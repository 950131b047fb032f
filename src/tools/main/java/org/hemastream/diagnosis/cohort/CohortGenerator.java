package org.hemastream.diagnosis.cohort;

import org.hemastream.diagnosis.DiagnosisClass;
import org.hemastream.events.CbcResult;
import org.hemastream.inference.evaluation.CellManifest.ManifestCell;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Generates a synthetic cohort: equal numbers of the six diagnoses (MPN split evenly among CML, PV, ET,
 * PMF; {@code normal} — no haematological neoplasm — among healthy, megaloblastic and reactive pictures,
 * the non-neoplastic mimics a lab meets), each patient with a CBC from {@link CohortCbcSynthesizer} and — except for CBC-only specimens,
 * as in real labs where not every CBC gets a smear — a smear of real cell images drawn from a
 * {@link CellPool} to fit the diagnosis's differential.
 *
 * <p>Each smear's normal cells come from one data set, chosen per patient independently of the
 * diagnosis (PBC {@value #PBC_SHARE} of the time, else DeepAPL), so "which lab" does not encode the
 * diagnosis; blasts, variant lymphocytes and smudge cells exist only in DeepAPL; dysplastic neutrophils
 * only in PBC (WBCAtt annotations). Deterministic: patient <i>i</i> depends only on the seed, the split
 * and <i>i</i>.
 */
public final class CohortGenerator {

    /** Share of smears whose normal cells come from PBC. */
    static final double PBC_SHARE = 0.6;
    /** Share of specimens with a CBC and no smear. */
    public static final double CBC_ONLY_SHARE = 0.15;
    private static final Instant DAY = Instant.parse("2026-01-05T07:00:00Z");

    private final CellPool pool;
    private final long seed;
    private final CohortCbcSynthesizer cbcs = new CohortCbcSynthesizer();

    public CohortGenerator(CellPool pool, long seed) {
        this.pool = pool;
        this.seed = seed;
    }

    /** {@code size} patients, classes in turn (normal, aml, all, lymphoma, mpn, mds, normal, …). */
    public List<CohortSpecimen> generate(int size) {
        List<CohortSpecimen> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            out.add(patient(i));
        }
        return out;
    }

    /** Patient {@code i} of the cohort. */
    public CohortSpecimen patient(int i) {
        DiagnosisClass[] classes = DiagnosisClass.values();
        DiagnosisClass diagnosis = classes[i % classes.length];
        List<CohortProfile> subtypes = CohortProfile.of(diagnosis);
        CohortProfile profile = subtypes.get((i / classes.length) % subtypes.size());
        String id = String.format(Locale.ROOT, "COHORT-%s-%d-%05d", pool.split(), seed, i);
        Random r = new Random(seed * 1_000_003L + id.hashCode());

        Map<String, Double> differential = profile.differential(r);
        double nrbc = profile.nrbcPer100Wbc(r);
        CbcResult cbc = cbcs.synthesize(id, profile, differential, nrbc, r, DAY.plusSeconds(60L * i));
        boolean smearMade = r.nextDouble() >= CBC_ONLY_SHARE;
        List<ManifestCell> smear = smearMade ? smear(profile, differential, nrbc, r) : List.of();
        return new CohortSpecimen(id, profile, cbc, smear);
    }

    private List<ManifestCell> smear(CohortProfile profile, Map<String, Double> differential, double nrbcPer100,
                                     Random r) {
        String source = r.nextDouble() < PBC_SHARE ? CellPool.PBC : CellPool.DEEPAPL;
        double dysplastic = profile.dysplasticNeutrophils(r);
        double hypersegmented = profile.hypersegmentedNeutrophils(r);
        double smudge = profile.smudgePer100Wbc(r);
        double platelets = profile.largePlateletsPer100Wbc(r);
        int wbcCells = 100 + r.nextInt(81);
        List<String> types = new ArrayList<>(differential.keySet());
        double[] cumulative = new double[types.size()];
        double sum = 0;
        for (int k = 0; k < types.size(); k++) {
            sum += differential.get(types.get(k));
            cumulative[k] = sum;
        }
        List<ManifestCell> cells = new ArrayList<>();
        for (int n = 0; n < wbcCells; n++) {
            double u = r.nextDouble() * sum;
            int k = 0;
            while (k < cumulative.length - 1 && u >= cumulative[k]) {
                k++;
            }
            String type = types.get(k);
            double form = type.endsWith("_neutrophil") ? r.nextDouble() : 1;
            cells.add(form < dysplastic ? pool.drawDysplasticNeutrophil(r)
                    : form < dysplastic + hypersegmented ? pool.drawHypersegmentedNeutrophil(r)
                    : pool.draw(type, source, r));
        }
        addExtra(cells, "erythroblast", wbcCells * nrbcPer100 / 100, source, r);
        addExtra(cells, "smudge_cell", wbcCells * smudge / 100, source, r);
        addExtra(cells, "platelet", wbcCells * platelets / 100, source, r);
        // A scanner meets cells in the order they lie on the smear, not grouped by type.
        Collections.shuffle(cells, r);
        return cells;
    }

    /** Adds about {@code expected} cells of a type: the integer part, plus one with the fraction's chance. */
    private void addExtra(List<ManifestCell> cells, String type, double expected, String source, Random r) {
        int n = (int) Math.floor(expected) + (r.nextDouble() < expected - Math.floor(expected) ? 1 : 0);
        for (int i = 0; i < n; i++) {
            cells.add(pool.draw(type, source, r));
        }
    }
}
