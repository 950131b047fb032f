package org.hemastream.diagnosis.cohort;

import org.hemastream.events.CbcResult;
import org.hemastream.sim.XnReport;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Draws a cohort patient's XN-9000 CBC from its {@link CohortProfile} and its blood differential.
 * Internally consistent as the XN computes it: HCT = RBC × MCV / 10, MCH = HGB / RBC × 10,
 * MCHC = HGB / HCT × 100, PCT = PLT × MPV / 10 000, each absolute count = its percentage × WBC / 100,
 * the five-part differential sums to 100 % with NEUT including IG (the XN's default report), NRBC% per
 * 100 WBC. Values are rounded to the analyzer's resolution. Deterministic for a given {@link Random}.
 *
 * <p>It differs from {@code sim.CbcSynthesizer} (the demo's CBCs, driven by a real slide's labels) in
 * taking the differential of the blood rather than of ~100 smear cells — the analyzer counts thousands —
 * and in reporting the platelet indices (PDW, MPV, P-LCR, PCT).
 */
public final class CohortCbcSynthesizer {

    /**
     * The parameters a cohort CBC reports, in XN printout order. Some results lack the platelet indices
     * (PDW, MPV, P-LCR, PCT), IG or NRBC, as real ones do.
     */
    public static final List<String> CODES = List.of("WBC", "RBC", "HGB", "HCT", "MCV", "MCH", "MCHC", "PLT",
            "RDW-SD", "RDW-CV", "PDW", "MPV", "P-LCR", "PCT", "NEUT#", "LYMPH#", "MONO#", "EO#", "BASO#",
            "NEUT%", "LYMPH%", "MONO%", "EO%", "BASO%", "IG#", "IG%", "NRBC#", "NRBC%");

    /** Every flag a cohort CBC can carry (XN IP messages), in a fixed order. */
    public static final List<String> FLAGS = List.of("Blasts?", "Blasts/Abn_Lympho?", "Abn_Lympho?", "Atypical_Lympho?",
            "Left_Shift?", "IG_Present", "NRBC_Present", "Leukocytosis", "Leukocytopenia", "Neutrophilia", "Neutropenia",
            "Lymphocytosis", "Lymphopenia", "Monocytosis", "Eosinophilia", "Basophilia", "Anemia", "Macrocytosis",
            "Microcytosis", "Erythrocytosis", "Anisocytosis", "Thrombocytosis", "Thrombocytopenia", "PLT_Clumps?");

    /** Draws the CBC of one patient. */
    public CbcResult synthesize(String specimenId, CohortProfile profile, Map<String, Double> differential,
                                double nrbcPer100Wbc, Random r, Instant measuredAt) {
        Map<String, BigDecimal> p = new LinkedHashMap<>();
        boolean female = r.nextBoolean();
        BigDecimal wbc = XnReport.round(profile.wbc(r), 2);
        BigDecimal hgb = XnReport.round(profile.hgb(r, female), 1);
        BigDecimal mcv = XnReport.round(profile.mcv(r), 1);
        double mchc = CohortProfile.normal(r, 33.5, 0.8, 31.5, 35.5);
        BigDecimal rbc = XnReport.round(hgb.doubleValue() / mchc * 100 * 10 / mcv.doubleValue(), 2);
        BigDecimal hct = XnReport.round(rbc.doubleValue() * mcv.doubleValue() / 10, 1);
        double rdwCv = profile.rdwCv(r);
        BigDecimal plt = XnReport.round(profile.plt(r), 0);
        double mpv = profile.mpv(r);

        p.put("WBC", wbc);
        p.put("RBC", rbc);
        p.put("HGB", hgb);
        p.put("HCT", hct);
        p.put("MCV", mcv);
        p.put("MCH", XnReport.round(hgb.doubleValue() / rbc.doubleValue() * 10, 1));
        p.put("MCHC", XnReport.round(hgb.doubleValue() / hct.doubleValue() * 100, 1));
        p.put("PLT", plt);
        // RDW-SD is the width at 20 % of the peak height: about 3.59 SD of a normal curve, SD = CV × MCV.
        p.put("RDW-SD", XnReport.round(3.59 * rdwCv / 100 * mcv.doubleValue() * Math.exp(r.nextGaussian() * 0.03), 1));
        p.put("RDW-CV", XnReport.round(rdwCv, 1));
        // Platelet indices move together: PDW and P-LCR (share > 12 fL) rise with MPV.
        p.put("PDW", XnReport.round(Math.max(8, 1.45 * mpv - 3.0 + r.nextGaussian() * 0.9), 1));
        p.put("MPV", XnReport.round(mpv, 1));
        p.put("P-LCR", XnReport.round(Math.min(70, Math.max(5, 8.2 * (mpv - 7.5) + r.nextGaussian() * 2.5)), 1));
        p.put("PCT", XnReport.round(plt.doubleValue() * XnReport.round(mpv, 1).doubleValue() / 10_000, 2));

        // The WDF channel: blasts fall between the lymphocyte and monocyte clusters.
        double toMono = CohortProfile.uniform(r, 0.3, 0.7);
        double neut = get(differential, "segmented_neutrophil") + get(differential, "band_neutrophil");
        double ig = get(differential, "promyelocyte") + get(differential, "myelocyte") + get(differential, "metamyelocyte");
        double blast = get(differential, "blast");
        double[] channels = {
                neut, ig,
                get(differential, "lymphocyte") + get(differential, "lymphocyte_variant") + blast * (1 - toMono),
                get(differential, "monocyte") + blast * toMono,
                get(differential, "eosinophil"), get(differential, "basophil")};
        double sum = 0;
        for (int i = 0; i < channels.length; i++) {
            channels[i] = (channels[i] + 0.05) * Math.exp(r.nextGaussian() * 0.08);
            sum += channels[i];
        }
        int[] permille = largestRemainder(channels, sum, 1000);
        XnReport.putCount(p, "NEUT", permille[0] + permille[1], wbc);
        XnReport.putCount(p, "LYMPH", permille[2], wbc);
        XnReport.putCount(p, "MONO", permille[3], wbc);
        XnReport.putCount(p, "EO", permille[4], wbc);
        XnReport.putCount(p, "BASO", permille[5], wbc);
        XnReport.putCount(p, "IG", permille[1], wbc);
        BigDecimal nrbc = XnReport.round(nrbcPer100Wbc == 0 ? 0 : nrbcPer100Wbc * Math.exp(r.nextGaussian() * 0.2), 1);
        p.put("NRBC#", XnReport.round(nrbc.doubleValue() * wbc.doubleValue() / 100, 2));
        p.put("NRBC%", nrbc);

        List<String> flags = new ArrayList<>(flags(p, differential, blast, r));
        // Not every result reports every parameter: the XN withholds the platelet indices when the
        // platelet distribution is too small or abnormal, and sites without the IG/NRBC channels (or
        // older XE/XS-series analyzers) send neither. The model must learn to score without them.
        double uPlateletIndices = r.nextDouble();
        double uIg = r.nextDouble();
        double uNrbc = r.nextDouble();
        if (plt.doubleValue() < 20 || uPlateletIndices < 0.08) {
            List.of("PDW", "MPV", "P-LCR", "PCT").forEach(p::remove);
        }
        if (uIg < 0.05) {
            List.of("IG#", "IG%").forEach(p::remove);
            flags.remove("IG_Present");
        }
        if (uNrbc < 0.05) {
            List.of("NRBC#", "NRBC%").forEach(p::remove);
            flags.remove("NRBC_Present");
        }
        Map<String, CbcResult.Measurement> measurements = new LinkedHashMap<>();
        for (String code : CODES) {
            if (p.containsKey(code)) {
                measurements.put(code, new CbcResult.Measurement(p.get(code).doubleValue(), unit(code)));
            }
        }
        return new CbcResult(specimenId, measuredAt, "XN-9000", "cohort", measurements, flags);
    }

    /**
     * The XN's IP messages. Count flags use customary XN default limits (every site sets its own);
     * the suspect ("?") flags fire with imperfect sensitivity — published XN evaluations put blast-flag
     * sensitivity for acute leukaemia roughly between 70 and 95 % — and a few per cent of false
     * positives. Random draws happen in a fixed order whatever the counts, so the stream stays fixed.
     */
    private static List<String> flags(Map<String, BigDecimal> p, Map<String, Double> diff, double blastPct, Random r) {
        double uBlast = r.nextDouble();
        double uMessage = r.nextDouble();
        double uAbnLympho = r.nextDouble();
        double uLeft = r.nextDouble();
        double uIg = r.nextDouble();
        double uNrbc = r.nextDouble();
        double uClumps = r.nextDouble();
        double variant = get(diff, "lymphocyte_variant");
        double leftShift = get(diff, "band_neutrophil") + get(diff, "promyelocyte") + get(diff, "myelocyte")
                + get(diff, "metamyelocyte");
        List<String> flags = new ArrayList<>();
        double blastChance = blastPct <= 0 ? 0.02 : Math.min(0.95, 0.55 + 0.4 * Math.min(1, blastPct / 20));
        if (uBlast < blastChance) {
            flags.add(uMessage < 0.55 ? "Blasts?" : "Blasts/Abn_Lympho?");
        }
        if (uAbnLympho < (variant > 5 ? 0.7 : 0.02)) {
            flags.add(uMessage < 0.5 ? "Abn_Lympho?" : "Atypical_Lympho?");
        }
        if (uLeft < (leftShift > 10 ? 0.65 : 0.03)) {
            flags.add("Left_Shift?");
        }
        if (uIg < (p.get("IG%").doubleValue() > 2.0 ? 0.9 : 0.01)) {
            flags.add("IG_Present");
        }
        if (p.get("NRBC%").doubleValue() > 0 && uNrbc < 0.9) {
            flags.add("NRBC_Present");
        }
        XnReport.addWhiteCellFlags(p, flags);
        XnReport.addIf(flags, p.get("HGB").doubleValue() < 10.0, "Anemia");
        XnReport.addIf(flags, p.get("MCV").doubleValue() > 110, "Macrocytosis");
        XnReport.addIf(flags, p.get("MCV").doubleValue() < 70, "Microcytosis");
        XnReport.addIf(flags, p.get("RBC").doubleValue() > 6.5, "Erythrocytosis");
        XnReport.addIf(flags, p.get("RDW-CV").doubleValue() > 20, "Anisocytosis");
        XnReport.addIf(flags, p.get("PLT").doubleValue() > 1000, "Thrombocytosis");
        XnReport.addIf(flags, p.get("PLT").doubleValue() < 60, "Thrombocytopenia");
        if (uClumps < 0.02) {
            flags.add("PLT_Clumps?");
        }
        return flags;
    }

    /** The unit the XN reports {@code code} in. */
    public static String unit(String code) {
        return switch (code) {
            case "WBC", "PLT", "NEUT#", "LYMPH#", "MONO#", "EO#", "BASO#", "IG#", "NRBC#" -> "10^3/uL";
            case "RBC" -> "10^6/uL";
            case "HGB", "MCHC" -> "g/dL";
            case "MCV", "RDW-SD", "PDW", "MPV" -> "fL";
            case "MCH" -> "pg";
            case "NRBC%" -> "/100WBC";
            default -> "%";
        };
    }

    private static double get(Map<String, Double> d, String type) {
        return d.getOrDefault(type, 0.0);
    }

    /** Splits {@code total} units in proportion to the weights; parts sum to total, ties by position. */
    private static int[] largestRemainder(double[] weights, double sum, int total) {
        int[] parts = new int[weights.length];
        double[] rem = new double[weights.length];
        int assigned = 0;
        for (int i = 0; i < weights.length; i++) {
            double exact = weights[i] / sum * total;
            parts[i] = (int) Math.floor(exact);
            rem[i] = exact - parts[i];
            assigned += parts[i];
        }
        while (assigned < total) {
            int best = 0;
            for (int i = 1; i < rem.length; i++) {
                if (rem[i] > rem[best]) {
                    best = i;
                }
            }
            parts[best]++;
            rem[best] = -1;
            assigned++;
        }
        return parts;
    }

}
