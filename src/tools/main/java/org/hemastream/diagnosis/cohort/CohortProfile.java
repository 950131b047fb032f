package org.hemastream.diagnosis.cohort;

import org.hemastream.diagnosis.DiagnosisClass;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * How a patient of each diagnosis (and MPN subtype) looks in the blood: CBC distributions and the
 * white-cell differential of the smear. <b>Synthetic.</b> The numbers are round approximations of the
 * medians and ranges reported in the sources cited at each profile — read from those papers' cohort
 * tables and guideline texts, not fitted to patient-level data, which is not public. The generator's
 * assumptions therefore drive every metric measured on the cohort; the model card says so.
 *
 * <p>Red-cell indices are drawn as HGB, MCV and MCHC; RBC, HCT and MCH follow (see
 * {@link CohortCbcSynthesizer}). All counts in the XN's units (10^3/uL, g/dL, fL).
 */
public enum CohortProfile {
    /**
     * Healthy adults: common reference intervals (WBC 4.0–10.0, HGB women 12.0–15.5 / men 13.5–17.5,
     * MCV 80–100, PLT 150–400, RDW-CV 11.5–14.5 %, MPV 9–12.5 fL) and a normal differential
     * (neutrophils 40–70 %, lymphocytes 20–40 %, monocytes 2–10 %, eosinophils 1–6 %, basophils ≤ 1 %),
     * as in haematology textbooks and Sysmex XN reference tables.
     */
    NORMAL(DiagnosisClass.NORMAL),
    /**
     * Megaloblastic anaemia (vitamin B12 or folate deficiency; Green, Blood 2017;129:2603; Stabler, N Engl J
     * Med 2013;368:149): the classic MDS mimic on a CBC — macrocytic anaemia (MCV often &gt; 110), high
     * RDW, mild leukopenia and thrombocytopenia — but hypersegmented neutrophils (≥ 5 lobes) instead of
     * MDS's hypolobated ones. No haematological neoplasm: class {@code normal}.
     */
    MEGALOBLASTIC(DiagnosisClass.NORMAL),
    /**
     * Reactive blood picture (bacterial infection/inflammation, or viral lymphocytosis): neutrophilia with
     * a left shift (bands, a few metamyelocytes and myelocytes — a CML mimic at a small scale) or reactive
     * (variant) lymphocytes — a lymphoma mimic; mild anaemia of inflammation, reactive thrombocytosis
     * (e.g. Bain, Blood Cells: A Practical Guide, 5th ed., 2015, chapters on reactive changes). No
     * haematological neoplasm: class {@code normal}.
     */
    REACTIVE(DiagnosisClass.NORMAL),
    /**
     * AML at diagnosis (Döhner et al., ELN 2022 recommendations, Blood 2022;140:1345; presenting counts
     * as in large cooperative-group cohorts, e.g. Juliusson et al., Swedish AML registry, Blood
     * 2009;113:4179): WBC median ≈ 10–20 with a range from leukopenic to &gt; 100, anaemia (HGB ≈ 9),
     * thrombocytopenia (PLT ≈ 50), circulating blasts in most patients (median ≈ 40 %, wide), often
     * dysplastic neutrophils and a monocytic component (myelomonocytic/monocytic subtypes).
     */
    AML(DiagnosisClass.AML),
    /**
     * Adult ALL at diagnosis (Hoelzer et al., ESMO guidelines, Ann Oncol 2016;27:v69; GRAALL/UKALL
     * presenting features): WBC median ≈ 10–20 (&gt; 30 in about a third of B-ALL), anaemia, thrombocytopenia,
     * circulating lymphoblasts in most. <b>Stand-in:</b> the data have no lymphoblasts; DeepAPL's blasts
     * (myeloblasts of AML/APL patients) stand in, so a smear cannot tell ALL from AML by its blasts —
     * as on a real smear without immunophenotyping. The profiles differ in the accompanying cells
     * (no dysplasia, no immature granulocytes, relative lymphocytosis in ALL).
     */
    ALL(DiagnosisClass.ALL),
    /**
     * Malignant lymphoma in leukaemic phase (e.g. leukaemic mantle-cell or marginal-zone lymphoma;
     * Swerdlow et al., WHO classification, 2017): lymphocytosis with abnormal lymphoid cells, mild
     * anaemia and thrombocytopenia, smudge cells. <b>Stand-in:</b> the data have no lymphoma cells;
     * DeepAPL's variant (reactive) lymphocytes stand in for them.
     */
    LYMPHOMA(DiagnosisClass.LYMPHOMA),
    /**
     * CML, chronic phase (Hasford et al., EUTOS score, Blood 2011;118:686; Sokal et al., Blood
     * 1984;63:789): very high WBC (median ≈ 100, range ≈ 20–400), a left-shifted granulocytic series
     * with myelocytes &gt; metamyelocytes ("myelocyte bulge"), basophilia (median ≈ 3–5 %), eosinophilia,
     * blasts &lt; 5 %, PLT normal to high, mild anaemia.
     */
    CML(DiagnosisClass.MPN),
    /**
     * Polycythaemia vera (Tefferi et al., Leukemia 2013;27:1874, 1545 patients: median HGB ≈ 18 g/dL,
     * WBC ≈ 10, PLT ≈ 460; WHO 2016 HGB &gt; 16.5 men / &gt; 16.0 women): high HGB/HCT, often
     * microcytosis from iron deficiency, mild leukocytosis and thrombocytosis, basophils slightly up.
     */
    PV(DiagnosisClass.MPN),
    /**
     * Essential thrombocythaemia (WHO 2016: PLT ≥ 450; cohort medians ≈ 700–800, e.g. Barbui et al.,
     * IPSET-thrombosis, Blood 2012;120:5128): high PLT, large platelets, otherwise near-normal counts.
     */
    ET(DiagnosisClass.MPN),
    /**
     * Primary myelofibrosis (Cervantes et al., IPSS, Blood 2009;113:2895, 1054 patients: HGB &lt; 10 in
     * about a third, WBC &gt; 25 in about a tenth, circulating blasts ≥ 1 % in about a third): a
     * leukoerythroblastic picture (nucleated red cells and immature granulocytes), anaemia with high
     * RDW (tear-drop cells), PLT anywhere from low to high, giant platelets.
     */
    PMF(DiagnosisClass.MPN),
    /**
     * MDS (Greenberg et al., IPSS-R, Blood 2012;120:2454; Arber et al., WHO 2016): cytopenias — anaemia
     * (HGB median ≈ 9.5–10), neutropenia (ANC median ≈ 1.8), thrombocytopenia (PLT median ≈ 100–140) —
     * normal to high MCV (macrocytosis in about half), high RDW, peripheral blasts usually &lt; 5 %, and
     * dysplastic neutrophils (hypolobated "pseudo-Pelger" nuclei, hypogranular cytoplasm).
     */
    MDS(DiagnosisClass.MDS);

    private final DiagnosisClass diagnosis;

    CohortProfile(DiagnosisClass diagnosis) {
        this.diagnosis = diagnosis;
    }

    public DiagnosisClass diagnosis() {
        return diagnosis;
    }

    /** The subtypes of one diagnosis class, e.g. MPN → CML, PV, ET, PMF. */
    public static java.util.List<CohortProfile> of(DiagnosisClass c) {
        return java.util.Arrays.stream(values()).filter(p -> p.diagnosis == c).toList();
    }

    /** Haemoglobin, g/dL. */
    double hgb(Random r, boolean female) {
        return switch (this) {
            case NORMAL -> female ? normal(r, 13.6, 0.8, 12.0, 15.5) : normal(r, 15.3, 0.9, 13.5, 17.5);
            case MEGALOBLASTIC -> normal(r, 9.2, 1.8, 5.0, 13.0);
            case REACTIVE -> normal(r, 12.2, 1.5, 8.5, 16.0);
            case AML -> normal(r, 9.0, 1.6, 5.5, 13.5);
            case ALL -> normal(r, 9.5, 1.8, 5.5, 14.0);
            case LYMPHOMA -> normal(r, 11.8, 1.6, 7.5, 15.5);
            case CML -> normal(r, 11.5, 1.5, 7.5, 15.0);
            case PV -> female ? normal(r, 17.2, 1.0, 16.1, 21.0) : normal(r, 18.2, 1.1, 16.6, 22.0);
            case ET -> female ? normal(r, 13.2, 1.0, 10.5, 15.5) : normal(r, 14.4, 1.1, 11.5, 17.0);
            case PMF -> normal(r, 10.5, 1.8, 6.5, 15.0);
            case MDS -> normal(r, 9.6, 1.5, 6.0, 12.8);
        };
    }

    /** Mean corpuscular volume, fL. */
    double mcv(Random r) {
        return switch (this) {
            case NORMAL, ET, REACTIVE -> normal(r, 90, 4, 80, 100);
            case MEGALOBLASTIC -> normal(r, 112, 8, 98, 130);
            case AML -> normal(r, 95, 6, 82, 112);
            case ALL, LYMPHOMA, CML -> normal(r, 89, 5, 78, 102);
            case PV -> normal(r, 84, 6, 68, 98);
            case PMF -> normal(r, 92, 7, 75, 110);
            case MDS -> normal(r, 99, 7, 84, 118);
        };
    }

    /** RDW-CV, %. */
    double rdwCv(Random r) {
        return switch (this) {
            case NORMAL -> normal(r, 12.8, 0.6, 11.5, 14.5);
            case REACTIVE -> normal(r, 13.8, 1.2, 11.5, 17.0);
            case MEGALOBLASTIC -> normal(r, 17.5, 2.5, 13.0, 26.0);
            case ET -> normal(r, 13.5, 1.0, 11.5, 17.0);
            case PV -> normal(r, 15.5, 1.8, 12.0, 21.0);
            case PMF -> normal(r, 19.0, 2.5, 14.0, 26.0);
            case MDS -> normal(r, 16.5, 2.2, 12.5, 24.0);
            default -> normal(r, 15.5, 1.8, 12.0, 22.0);
        };
    }

    /** Platelets, 10^3/uL. */
    double plt(Random r) {
        return switch (this) {
            case NORMAL -> normal(r, 260, 55, 150, 400);
            case MEGALOBLASTIC -> logNormal(r, 140, 0.5, 30, 400);
            case REACTIVE -> logNormal(r, 330, 0.3, 150, 750);
            case AML -> logNormal(r, 50, 0.7, 5, 300);
            case ALL -> logNormal(r, 55, 0.7, 5, 350);
            case LYMPHOMA -> logNormal(r, 150, 0.4, 40, 380);
            case CML -> logNormal(r, 400, 0.45, 120, 1500);
            case PV -> logNormal(r, 460, 0.35, 180, 1100);
            case ET -> logNormal(r, 760, 0.3, 450, 2200);
            case PMF -> logNormal(r, 250, 0.8, 25, 1200);
            case MDS -> logNormal(r, 110, 0.7, 10, 450);
        };
    }

    /** Mean platelet volume, fL (large platelets in MPN and MDS, young platelets in consumption). */
    double mpv(Random r) {
        return switch (this) {
            case NORMAL, REACTIVE -> normal(r, 10.3, 0.8, 8.8, 12.5);
            case ET, PMF, CML, PV -> normal(r, 11.0, 1.0, 9.0, 13.5);
            case MDS -> normal(r, 11.2, 1.2, 8.8, 14.0);
            default -> normal(r, 10.8, 1.1, 8.5, 13.5);
        };
    }

    /** White cells, 10^3/uL. */
    double wbc(Random r) {
        return switch (this) {
            case NORMAL -> normal(r, 6.5, 1.5, 4.0, 10.0);
            case MEGALOBLASTIC -> logNormal(r, 4.3, 0.3, 1.5, 9.0);
            case REACTIVE -> logNormal(r, 13, 0.35, 4.5, 35);
            case AML -> logNormal(r, 14, 1.2, 0.6, 250);
            case ALL -> logNormal(r, 16, 1.2, 0.8, 300);
            case LYMPHOMA -> logNormal(r, 22, 0.7, 6, 200);
            case CML -> logNormal(r, 100, 0.7, 20, 450);
            case PV -> logNormal(r, 10.4, 0.3, 5, 25);
            case ET -> logNormal(r, 8.5, 0.25, 4.5, 16);
            case PMF -> logNormal(r, 9, 0.6, 2, 45);
            case MDS -> logNormal(r, 3.6, 0.4, 1.2, 9.5);
        };
    }

    /**
     * The blood's white-cell differential, percent by cell type (sums to 100). The smear is drawn from
     * it and the analyzer's differential follows it.
     */
    public Map<String, Double> differential(Random r) {
        Map<String, Double> d = new LinkedHashMap<>();
        double blast = switch (this) {
            case AML -> r.nextDouble() < 0.75 ? uniform(r, 20, 92) : uniform(r, 3, 20);
            case ALL -> r.nextDouble() < 0.8 ? uniform(r, 25, 95) : uniform(r, 5, 25);
            case CML -> uniform(r, 0, 4);
            case PMF -> r.nextDouble() < 0.4 ? uniform(r, 1, 5) : 0;
            case MDS -> r.nextDouble() < 0.85 ? uniform(r, 0, 4) : uniform(r, 5, 15);
            default -> 0;
        };
        switch (this) {
            case MEGALOBLASTIC -> {
                d.put("segmented_neutrophil", uniform(r, 40, 60));
                d.put("band_neutrophil", uniform(r, 0, 3));
                d.put("lymphocyte", uniform(r, 25, 45));
                d.put("monocyte", uniform(r, 3, 9));
                d.put("eosinophil", uniform(r, 1, 4));
                d.put("basophil", uniform(r, 0, 1));
            }
            case REACTIVE -> {
                boolean viral = r.nextDouble() < 0.35;
                d.put("segmented_neutrophil", viral ? uniform(r, 25, 45) : uniform(r, 60, 80));
                d.put("band_neutrophil", viral ? uniform(r, 1, 4) : uniform(r, 5, 15));
                d.put("metamyelocyte", viral ? 0 : uniform(r, 0, 3));
                d.put("myelocyte", viral ? 0 : uniform(r, 0, 2));
                d.put("lymphocyte", viral ? uniform(r, 35, 55) : uniform(r, 5, 15));
                d.put("lymphocyte_variant", viral ? uniform(r, 5, 20) : uniform(r, 0, 1));
                d.put("monocyte", uniform(r, 4, 12));
                d.put("eosinophil", uniform(r, 0, 3));
                d.put("basophil", uniform(r, 0, 1));
            }
            case NORMAL, PV, ET -> {
                d.put("segmented_neutrophil", uniform(r, 45, 65));
                d.put("band_neutrophil", uniform(r, 1, 5));
                d.put("lymphocyte", uniform(r, 20, 38));
                d.put("lymphocyte_variant", uniform(r, 0, 1.5));
                d.put("monocyte", uniform(r, 3, 9));
                d.put("eosinophil", uniform(r, 1, 5));
                d.put("basophil", this == NORMAL ? uniform(r, 0, 1) : uniform(r, 0.5, 2.5));
                d.put("metamyelocyte", this == NORMAL ? 0 : uniform(r, 0, 1));
            }
            case AML -> {
                d.put("segmented_neutrophil", uniform(r, 10, 45));
                d.put("band_neutrophil", uniform(r, 1, 6));
                d.put("lymphocyte", uniform(r, 10, 40));
                d.put("monocyte", r.nextDouble() < 0.3 ? uniform(r, 15, 40) : uniform(r, 2, 10));
                d.put("eosinophil", uniform(r, 0, 3));
                d.put("basophil", uniform(r, 0, 1.5));
                d.put("promyelocyte", uniform(r, 0, 4));
                d.put("myelocyte", uniform(r, 0, 4));
                d.put("metamyelocyte", uniform(r, 0, 3));
            }
            case ALL -> {
                d.put("segmented_neutrophil", uniform(r, 5, 35));
                d.put("band_neutrophil", uniform(r, 0, 3));
                d.put("lymphocyte", uniform(r, 25, 70));
                d.put("monocyte", uniform(r, 1, 6));
                d.put("eosinophil", uniform(r, 0, 2));
                d.put("basophil", uniform(r, 0, 0.5));
            }
            case LYMPHOMA -> {
                d.put("segmented_neutrophil", uniform(r, 10, 35));
                d.put("band_neutrophil", uniform(r, 0, 3));
                d.put("lymphocyte", uniform(r, 20, 55));
                d.put("lymphocyte_variant", uniform(r, 15, 60));
                d.put("monocyte", uniform(r, 2, 8));
                d.put("eosinophil", uniform(r, 0, 3));
                d.put("basophil", uniform(r, 0, 1));
            }
            case CML -> {
                d.put("segmented_neutrophil", uniform(r, 30, 50));
                d.put("band_neutrophil", uniform(r, 6, 15));
                d.put("metamyelocyte", uniform(r, 3, 9));
                d.put("myelocyte", uniform(r, 8, 20));
                d.put("promyelocyte", uniform(r, 1, 4));
                d.put("lymphocyte", uniform(r, 3, 10));
                d.put("monocyte", uniform(r, 1, 4));
                d.put("eosinophil", uniform(r, 1, 6));
                d.put("basophil", logNormal(r, 4, 0.5, 1.5, 15));
            }
            case PMF -> {
                d.put("segmented_neutrophil", uniform(r, 40, 65));
                d.put("band_neutrophil", uniform(r, 2, 8));
                d.put("metamyelocyte", uniform(r, 1, 5));
                d.put("myelocyte", uniform(r, 1, 6));
                d.put("promyelocyte", uniform(r, 0, 2));
                d.put("lymphocyte", uniform(r, 12, 30));
                d.put("monocyte", uniform(r, 3, 10));
                d.put("eosinophil", uniform(r, 1, 4));
                d.put("basophil", uniform(r, 0.5, 3));
            }
            case MDS -> {
                d.put("segmented_neutrophil", uniform(r, 25, 55));
                d.put("band_neutrophil", uniform(r, 3, 12));
                d.put("lymphocyte", uniform(r, 25, 50));
                d.put("monocyte", uniform(r, 4, 14));
                d.put("eosinophil", uniform(r, 0, 4));
                d.put("basophil", uniform(r, 0, 2));
                d.put("myelocyte", uniform(r, 0, 2));
                d.put("metamyelocyte", uniform(r, 0, 2));
            }
        }
        double rest = d.values().stream().mapToDouble(Double::doubleValue).sum();
        d.replaceAll((k, v) -> v / rest * (100 - blast));
        if (blast > 0) {
            d.put("blast", blast);
        }
        return d;
    }

    /** Nucleated red cells per 100 white cells. */
    public double nrbcPer100Wbc(Random r) {
        return switch (this) {
            case PMF -> uniform(r, 1, 10);
            case AML, MDS -> r.nextDouble() < 0.35 ? uniform(r, 0.5, 5) : 0;
            case CML, ALL -> r.nextDouble() < 0.2 ? uniform(r, 0.5, 3) : 0;
            default -> 0;
        };
    }

    /** Smudge cells per 100 white cells on the smear (fragile lymphoid and leukaemic cells). */
    double smudgePer100Wbc(Random r) {
        return switch (this) {
            case LYMPHOMA -> uniform(r, 3, 20);
            case ALL, AML -> uniform(r, 1, 8);
            default -> uniform(r, 0, 1.5);
        };
    }

    /** Large/giant platelets the scanner captures per 100 white cells. */
    double largePlateletsPer100Wbc(Random r) {
        return switch (this) {
            case ET -> uniform(r, 4, 15);
            case PMF, CML, PV -> uniform(r, 2, 8);
            case MDS -> uniform(r, 1, 5);
            default -> uniform(r, 0, 3);
        };
    }

    /**
     * Fraction of the neutrophils that are hypersegmented (drawn from cells WBCAtt annotates with a
     * multilobed nucleus: the megaloblastic picture).
     */
    double hypersegmentedNeutrophils(Random r) {
        return this == MEGALOBLASTIC ? uniform(r, 0.3, 0.7) : 0;
    }

    /**
     * Fraction of the neutrophils that are dysplastic (drawn from cells WBCAtt annotates with an
     * unsegmented or bilobed nucleus, or no granules: the pseudo-Pelger and hypogranular forms of MDS).
     */
    double dysplasticNeutrophils(Random r) {
        return switch (this) {
            case MDS -> uniform(r, 0.3, 0.8);
            case AML -> r.nextDouble() < 0.4 ? uniform(r, 0.2, 0.6) : 0;
            case PMF -> uniform(r, 0, 0.2);
            default -> 0;
        };
    }

    static double normal(Random r, double mean, double sd, double lo, double hi) {
        return Math.min(hi, Math.max(lo, mean + r.nextGaussian() * sd));
    }

    static double logNormal(Random r, double median, double sigma, double lo, double hi) {
        return Math.min(hi, Math.max(lo, median * Math.exp(r.nextGaussian() * sigma)));
    }

    static double uniform(Random r, double lo, double hi) {
        return lo + r.nextDouble() * (hi - lo);
    }
}
