package org.hemastream.sim;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;

/**
 * How a synthetic XN-series CBC is reported, shared by the demo's {@link CbcSynthesizer} and the
 * diagnostic cohort's synthesizer so that both speak the same analyzer: rounding, the % and # pair of
 * a differential count, and the count-based IP messages of the white-cell differential with customary
 * XN default limits (every site configures its own). Pure.
 */
public final class XnReport {

    private XnReport() {
    }

    /** Rounds half-up to the analyzer's reported decimals. */
    public static BigDecimal round(double v, int decimals) {
        return BigDecimal.valueOf(v).setScale(decimals, RoundingMode.HALF_UP);
    }

    /** Puts {@code <code>%} (per mille / 10) and {@code <code>#} (10^3/uL, from WBC) into the parameters. */
    public static void putCount(Map<String, BigDecimal> p, String code, int permille, BigDecimal wbc) {
        BigDecimal pct = BigDecimal.valueOf(permille, 1);
        p.put(code + "%", pct);
        p.put(code + "#", round(pct.doubleValue() * wbc.doubleValue() / 100, 2));
    }

    /**
     * Adds the white-cell count flags (Leukocytosis/-penia, Neutrophilia/-penia, Lymphocytosis/-penia,
     * Monocytosis, Eosinophilia, Basophilia) in that order; needs WBC and the # counts in 10^3/uL.
     */
    public static void addWhiteCellFlags(Map<String, BigDecimal> p, List<String> flags) {
        double wbc = p.get("WBC").doubleValue();
        addIf(flags, wbc > 18.0, "Leukocytosis");
        addIf(flags, wbc < 2.5, "Leukocytopenia");
        addIf(flags, p.get("NEUT#").doubleValue() > 11.0, "Neutrophilia");
        addIf(flags, p.get("NEUT#").doubleValue() < 1.0, "Neutropenia");
        addIf(flags, p.get("LYMPH#").doubleValue() > 4.0, "Lymphocytosis");
        addIf(flags, p.get("LYMPH#").doubleValue() < 0.8, "Lymphopenia");
        addIf(flags, p.get("MONO#").doubleValue() > 1.0, "Monocytosis");
        addIf(flags, p.get("EO#").doubleValue() > 0.7, "Eosinophilia");
        addIf(flags, p.get("BASO#").doubleValue() > 0.2, "Basophilia");
    }

    /** Adds {@code flag} when {@code condition} holds. */
    public static void addIf(List<String> flags, boolean condition, String flag) {
        if (condition) {
            flags.add(flag);
        }
    }
}
