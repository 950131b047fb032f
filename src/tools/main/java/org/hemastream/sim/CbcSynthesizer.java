package org.hemastream.sim;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Draws a synthetic Sysmex XN CBC for a simulated specimen: internally consistent, shaped by the
 * diagnosis, and with a differential that follows the specimen's real slide. Deterministic: the same
 * seed, specimen ID and cells give the same CBC. Stateless and thread-safe.
 *
 * <p><b>These CBCs are synthetic.</b> No public data set pairs XN-9000 results with these cell images.
 * The ranges below are round numbers meant to look like a plausible laboratory day, not fitted
 * distributions:
 * <ul>
 *   <li>healthy: common adult reference intervals (WBC 4.0–10.0 ×10^3/uL; HGB women 12.0–15.5,
 *       men 13.5–17.5 g/dL; MCV 80–100 fL; MCHC 32–36 g/dL; PLT 150–400 ×10^3/uL; RDW-CV 11.5–14.5 %;
 *       RDW-SD 39–46 fL), as printed in haematology textbooks and analyzer reference tables;</li>
 *   <li>AML: the usual presentation (anaemia, thrombocytopenia, WBC anywhere from leukopenic to
 *       &gt; 100 ×10^3/uL, mild macrocytosis and high RDW common; see e.g. Döhner et al., ELN 2022
 *       recommendations, Blood 2022);</li>
 *   <li>APL: leukopenia in most patients, WBC &gt; 10 ×10^3/uL (high risk) in a minority, marked
 *       thrombocytopenia (Sanz et al., ELN APL recommendations, Blood 2019).</li>
 * </ul>
 *
 * <p>Consistency, as the XN computes it: HCT = RBC × MCV / 10, MCH = HGB / RBC × 10,
 * MCHC = HGB / HCT × 100, each absolute count = its percentage × WBC / 100, and the five-part
 * differential sums to 100 %. As with the XN's default reporting, NEUT includes the immature
 * granulocytes, which are also reported on their own as IG; NRBC% is per 100 WBC. Rounding is to
 * the analyzer's resolution ({@link SyntheticCbc#decimals}), so the identities hold within it.
 */
public final class CbcSynthesizer {

    /** Where a slide label falls in the XN's white-cell differential channel (WDF). */
    enum Channel { NEUT, IG, LYMPH, MONO, EO, BASO, BLAST, NRBC, NONE }

    private static final Map<String, Channel> CHANNELS = new HashMap<>();

    static {
        // PBC fine_label and DeepAPL label use different spellings for the same cells.
        for (String l : List.of("segmented_neutrophil", "band_neutrophil", "neutrophil_unspecified",
                "neutrophil_segmented", "neutrophil_band")) {
            CHANNELS.put(l, Channel.NEUT);
        }
        for (String l : List.of("promyelocyte", "myelocyte", "metamyelocyte", "ig_unspecified")) {
            CHANNELS.put(l, Channel.IG);
        }
        // Plasma cells and reactive lymphocytes fall in the XN's lymphocyte area.
        for (String l : List.of("lymphocyte", "lymphocyte_variant", "plasma_cell", "prolymphocyte")) {
            CHANNELS.put(l, Channel.LYMPH);
        }
        CHANNELS.put("monocyte", Channel.MONO);
        CHANNELS.put("promonocyte", Channel.MONO);
        CHANNELS.put("eosinophil", Channel.EO);
        CHANNELS.put("basophil", Channel.BASO);
        CHANNELS.put("blast", Channel.BLAST);
        CHANNELS.put("erythroblast", Channel.NRBC);
        // Smudge cells, platelets, artefacts and unidentified cells are not part of the differential.
    }

    /** The random stream for one specimen: independent of the order specimens are built in. */
    public static Random randomFor(long seed, String specimenId) {
        // String.hashCode and java.util.Random are both specified exactly: stable across JVMs.
        return new Random(seed * 1_000_003L + specimenId.hashCode());
    }

    /** Draws the CBC of a specimen with this diagnosis and these slide cells. */
    public SyntheticCbc synthesize(Diagnosis diagnosis, List<SpecimenCell> cells, Random rnd) {
        Map<String, BigDecimal> p = new HashMap<>();

        // --- red cells: draw HGB, MCV, MCHC; derive the rest so the identities hold ---
        boolean female = rnd.nextBoolean();
        double hgb = switch (diagnosis) {
            case NORMAL -> female ? normal(rnd, 13.6, 0.8, 12.0, 15.5) : normal(rnd, 15.3, 0.9, 13.5, 17.5);
            default -> normal(rnd, 8.6, 1.4, 5.5, 12.5);
        };
        double mcv = switch (diagnosis) {
            case NORMAL -> normal(rnd, 90, 4, 80, 100);
            case APL -> normal(rnd, 90, 5, 80, 104);
            default -> normal(rnd, 95, 6, 82, 112);
        };
        double mchc = normal(rnd, 33.6, 0.8, 32.0, 35.5);
        BigDecimal hgbR = XnReport.round(hgb, 1);
        BigDecimal mcvR = XnReport.round(mcv, 1);
        BigDecimal rbcR = XnReport.round(hgbR.doubleValue() / mchc * 100 * 10 / mcvR.doubleValue(), 2);
        BigDecimal hctR = XnReport.round(rbcR.doubleValue() * mcvR.doubleValue() / 10, 1);
        p.put("RBC", rbcR);
        p.put("HGB", hgbR);
        p.put("HCT", hctR);
        p.put("MCV", mcvR);
        p.put("MCH", XnReport.round(hgbR.doubleValue() / rbcR.doubleValue() * 10, 1));
        p.put("MCHC", XnReport.round(hgbR.doubleValue() / hctR.doubleValue() * 100, 1));
        double rdwCv = diagnosis == Diagnosis.NORMAL ? normal(rnd, 12.8, 0.6, 11.5, 14.5) : normal(rnd, 16.0, 1.8, 12.5, 22.0);
        p.put("RDW-CV", XnReport.round(rdwCv, 1));
        // RDW-SD is the width at 20 % of the peak height: about 3.59 SD of a normal curve, SD = CV × MCV.
        p.put("RDW-SD", XnReport.round(3.59 * rdwCv / 100 * mcv * Math.exp(gauss(rnd, 0.03)), 1));

        // --- platelets ---
        double plt = switch (diagnosis) {
            case NORMAL -> normal(rnd, 260, 55, 150, 400);
            case APL -> logUniform(rnd, 8, 70);
            default -> rnd.nextDouble() < 0.85 ? logUniform(rnd, 10, 100) : logUniform(rnd, 100, 220);
        };
        p.put("PLT", XnReport.round(plt, 0));

        // --- white cells ---
        double wbc = switch (diagnosis) {
            case NORMAL -> normal(rnd, 6.5, 1.5, 4.0, 10.0);
            case APL -> pick(rnd, 0.60, () -> logUniform(rnd, 0.5, 4.0), 0.25, () -> uniform(rnd, 4.0, 10.0),
                    () -> logUniform(rnd, 10.0, 80.0));
            default -> pick(rnd, 0.30, () -> logUniform(rnd, 0.8, 4.0), 0.30, () -> uniform(rnd, 4.0, 15.0),
                    () -> logUniform(rnd, 15.0, 120.0));
        };
        BigDecimal wbcR = XnReport.round(wbc, 2);
        p.put("WBC", wbcR);
        Differential diff = differential(cells, rnd);
        XnReport.putCount(p, "NEUT", diff.neutPermille(), wbcR);
        XnReport.putCount(p, "LYMPH", diff.permille().get(Channel.LYMPH), wbcR);
        XnReport.putCount(p, "MONO", diff.permille().get(Channel.MONO), wbcR);
        XnReport.putCount(p, "EO", diff.permille().get(Channel.EO), wbcR);
        XnReport.putCount(p, "BASO", diff.permille().get(Channel.BASO), wbcR);
        XnReport.putCount(p, "IG", diff.permille().get(Channel.IG), wbcR);
        BigDecimal nrbcPct = XnReport.round(diff.nrbcPer100Wbc(), 1);
        p.put("NRBC%", nrbcPct);
        p.put("NRBC#", XnReport.round(nrbcPct.doubleValue() * wbcR.doubleValue() / 100, 2));

        return new SyntheticCbc(p, flags(diagnosis, p, diff, rnd));
    }

    /**
     * The XN's IP messages. Thresholds are the customary XN defaults as we understand them (every site
     * configures its own); the blast flag is random because its sensitivity is imperfect — published
     * XN evaluations put it roughly between 70 and 95 % for acute leukaemia — and it has false
     * positives in a few per cent of normal samples.
     */
    private static List<String> flags(Diagnosis diagnosis, Map<String, BigDecimal> p, Differential diff, Random rnd) {
        List<String> flags = new ArrayList<>();
        // Blast suspicion first: drawn whatever the counts, so the stream of draws stays fixed.
        double blastFlagChance = !diagnosis.leukaemic() ? 0.02 : diff.blastFraction() > 0 ? 0.85 : 0.5;
        boolean blastFlag = rnd.nextDouble() < blastFlagChance;
        // Newer XN software reports the combined message; both are in use.
        String blastMessage = rnd.nextDouble() < 0.55 ? "Blasts?" : "Blasts/Abn_Lympho?";
        double leftShiftChance = diff.bandAndIgFraction() > 0.10 ? 0.6 : 0.04;
        boolean leftShift = rnd.nextDouble() < leftShiftChance;
        boolean atypicalLympho = diff.variantLymphFraction() > 0.03 && rnd.nextDouble() < 0.5;

        if (blastFlag) {
            flags.add(blastMessage);
        }
        if (leftShift) {
            flags.add("Left_Shift?");
        }
        if (atypicalLympho) {
            flags.add("Atypical_Lympho?");
        }
        if (p.get("IG#").doubleValue() > 0.10) {
            flags.add("IG_Present");
        }
        XnReport.addWhiteCellFlags(p, flags);
        if (p.get("NRBC#").doubleValue() > 0) {
            flags.add("NRBC_Present");
        }
        if (p.get("HGB").doubleValue() < 10.0) {
            flags.add("Anemia");
        }
        if (p.get("MCV").doubleValue() > 110) {
            flags.add("Macrocytosis");
        }
        if (p.get("RDW-CV").doubleValue() > 20) {
            flags.add("Anisocytosis");
        }
        if (p.get("PLT").doubleValue() < 60) {
            flags.add("Thrombocytopenia");
        }
        return flags;
    }

    /**
     * The analyzer's differential for this slide. The XN counts thousands of cells where the slide has
     * ~100, so it is the slide's proportions with sampling noise and a small pseudo-count (a healthy
     * slide of 100 cells may show no basophil; the blood still has some). Blasts fall between the
     * lymphocyte and monocyte clusters of the WDF scattergram: a per-specimen share goes to each, which
     * is why many blasts show as a low NEUT%. APL promyelocytes count as IG.
     */
    private static Differential differential(List<SpecimenCell> cells, Random rnd) {
        Map<Channel, Integer> counts = new EnumMap<>(Channel.class);
        for (Channel c : Channel.values()) {
            counts.put(c, 0);
        }
        int variantLymph = 0;
        int band = 0;
        for (SpecimenCell cell : cells) {
            counts.merge(channel(cell.label()), 1, Integer::sum);
            variantLymph += cell.label().equals("lymphocyte_variant") ? 1 : 0;
            band += cell.label().contains("band") ? 1 : 0;
        }
        int blasts = counts.get(Channel.BLAST);
        List<Channel> reported = List.of(Channel.NEUT, Channel.IG, Channel.LYMPH, Channel.MONO, Channel.EO, Channel.BASO);
        int wbcCells = blasts;
        for (Channel c : reported) {
            wbcCells += counts.get(c);
        }
        double toMono = uniform(rnd, 0.3, 0.7);
        Map<Channel, Double> raw = new EnumMap<>(Channel.class);
        for (Channel c : reported) {
            double count = counts.get(c);
            if (c == Channel.LYMPH) {
                count += blasts * (1 - toMono);
            } else if (c == Channel.MONO) {
                count += blasts * toMono;
            }
            raw.put(c, (count + 0.3) * Math.exp(gauss(rnd, 0.15)));
        }
        Map<Channel, Integer> permille = largestRemainder(raw, 1000);
        double nrbc = wbcCells == 0 ? 0 : counts.get(Channel.NRBC) * 100.0 / wbcCells;
        nrbc = nrbc == 0 ? 0 : nrbc * Math.exp(gauss(rnd, 0.2));
        double denominator = Math.max(1, wbcCells);
        return new Differential(permille, nrbc, blasts / denominator,
                (band + counts.get(Channel.IG)) / denominator, variantLymph / denominator);
    }

    static Channel channel(String label) {
        return CHANNELS.getOrDefault(label, Channel.NONE);
    }

    private record Differential(Map<Channel, Integer> permille, double nrbcPer100Wbc, double blastFraction,
                                double bandAndIgFraction, double variantLymphFraction) {
        /** NEUT includes IG, as the XN reports it by default. */
        int neutPermille() {
            return permille.get(Channel.NEUT) + permille.get(Channel.IG);
        }
    }

    /** Splits {@code total} units among the keys in proportion to {@code weights}; the parts sum to total. */
    private static Map<Channel, Integer> largestRemainder(Map<Channel, Double> weights, int total) {
        double sum = weights.values().stream().mapToDouble(Double::doubleValue).sum();
        Map<Channel, Integer> parts = new EnumMap<>(Channel.class);
        Map<Channel, Double> remainders = new EnumMap<>(Channel.class);
        int assigned = 0;
        for (Map.Entry<Channel, Double> e : weights.entrySet()) {
            double exact = e.getValue() / sum * total;
            int floor = (int) Math.floor(exact);
            parts.put(e.getKey(), floor);
            remainders.put(e.getKey(), exact - floor);
            assigned += floor;
        }
        List<Channel> byRemainder = new ArrayList<>(remainders.keySet());
        // Ties broken by channel order: deterministic.
        byRemainder.sort((a, b) -> Double.compare(remainders.get(b), remainders.get(a)));
        for (int i = 0; assigned < total; i++, assigned++) {
            parts.merge(byRemainder.get(i % byRemainder.size()), 1, Integer::sum);
        }
        return parts;
    }


    private static double gauss(Random rnd, double sd) {
        return rnd.nextGaussian() * sd;
    }

    private static double normal(Random rnd, double mean, double sd, double lo, double hi) {
        return Math.min(hi, Math.max(lo, mean + rnd.nextGaussian() * sd));
    }

    private static double uniform(Random rnd, double lo, double hi) {
        return lo + rnd.nextDouble() * (hi - lo);
    }

    private static double logUniform(Random rnd, double lo, double hi) {
        return Math.exp(uniform(rnd, Math.log(lo), Math.log(hi)));
    }

    private static double pick(Random rnd, double p1, java.util.function.DoubleSupplier first, double p2,
                               java.util.function.DoubleSupplier second, java.util.function.DoubleSupplier third) {
        double u = rnd.nextDouble();
        return u < p1 ? first.getAsDouble() : u < p1 + p2 ? second.getAsDouble() : third.getAsDouble();
    }
}
