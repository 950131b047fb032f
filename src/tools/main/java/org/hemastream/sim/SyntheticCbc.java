package org.hemastream.sim;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.hemastream.events.CbcResult;

/**
 * A synthetic XN-9000 CBC: parameter code → value in the analyzer's unit and reporting resolution,
 * plus the analyzer's flags. It has no time: {@link AnalyzerLineSimulator} stamps {@code measuredAt}
 * when it sends it. Synthetic, never a real patient's result (see {@link CbcSynthesizer}).
 *
 * @param parameters XN code → value, in {@link #CODES} order; values are already rounded to the
 *                   analyzer's resolution ({@link #decimals})
 * @param flags      IP messages such as {@code Blasts?}, {@code Anemia}, in a fixed order
 */
public record SyntheticCbc(Map<String, BigDecimal> parameters, List<String> flags) {

    /** The parameters every synthetic CBC reports, in the order an XN printout lists them. */
    public static final List<String> CODES = List.of(
            "WBC", "RBC", "HGB", "HCT", "MCV", "MCH", "MCHC", "PLT", "RDW-SD", "RDW-CV",
            "NEUT#", "LYMPH#", "MONO#", "EO#", "BASO#", "NEUT%", "LYMPH%", "MONO%", "EO%", "BASO%",
            "IG#", "IG%", "NRBC#", "NRBC%");

    public SyntheticCbc {
        Map<String, BigDecimal> ordered = new LinkedHashMap<>();
        for (String code : CODES) {
            BigDecimal v = Objects.requireNonNull(parameters.get(code), () -> "CBC lacks " + code);
            ordered.put(code, v.setScale(decimals(code), RoundingMode.HALF_UP));
        }
        if (parameters.size() != CODES.size()) {
            throw new IllegalArgumentException("unexpected CBC parameters: " + parameters.keySet());
        }
        parameters = Collections.unmodifiableMap(ordered);
        flags = List.copyOf(flags);
    }

    /** The unit the XN reports {@code code} in. */
    public static String unit(String code) {
        return switch (code) {
            case "WBC", "PLT", "NEUT#", "LYMPH#", "MONO#", "EO#", "BASO#", "IG#", "NRBC#" -> "10^3/uL";
            case "RBC" -> "10^6/uL";
            case "HGB", "MCHC" -> "g/dL";
            case "MCV", "RDW-SD" -> "fL";
            case "MCH" -> "pg";
            case "HCT", "RDW-CV", "NEUT%", "LYMPH%", "MONO%", "EO%", "BASO%", "IG%" -> "%";
            // NRBC% is per 100 WBC on the XN.
            case "NRBC%" -> "/100WBC";
            default -> throw new IllegalArgumentException("not a CBC code of the simulator: " + code);
        };
    }

    /** Decimals the XN prints for {@code code} (its reporting resolution). */
    public static int decimals(String code) {
        return switch (code) {
            case "WBC", "RBC", "NEUT#", "LYMPH#", "MONO#", "EO#", "BASO#", "IG#", "NRBC#" -> 2;
            case "PLT" -> 0;
            default -> 1;
        };
    }

    /** The value of {@code code} as a double. */
    public double value(String code) {
        BigDecimal v = parameters.get(code);
        if (v == null) {
            throw new IllegalArgumentException("no CBC parameter " + code);
        }
        return v.doubleValue();
    }

    /** Whether the analyzer raised a blast suspicion ({@link CbcResult#BLAST_FLAGS}). */
    public boolean blastFlagged() {
        return flags.stream().anyMatch(CbcResult.BLAST_FLAGS::contains);
    }

    /** This CBC as the event record the service reads, measured at {@code measuredAt}. */
    public CbcResult toEvent(String specimenId, Instant measuredAt) {
        Map<String, CbcResult.Measurement> measurements = new LinkedHashMap<>();
        parameters.forEach((code, v) -> measurements.put(code, new CbcResult.Measurement(v.doubleValue(), unit(code))));
        return new CbcResult(specimenId, measuredAt, AnalyzerMessages.ANALYZER_MODEL, AnalyzerMessages.ANALYZER_SERIAL,
                measurements, flags);
    }
}
