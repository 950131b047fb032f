package org.hemastream.sim;

/**
 * The diagnosis a simulated specimen stands for: ground truth for the demo and the tests, and what
 * {@link CbcSynthesizer} shapes the CBC after.
 */
public enum Diagnosis {
    /** Healthy adult: a smear assembled from PBC's healthy-donor cells. */
    NORMAL,
    /** Acute myeloid leukaemia (non-APL), a DeepAPL patient. */
    AML,
    /** Acute promyelocytic leukaemia, a DeepAPL patient. */
    APL,
    /** DeepAPL's "clinical case", whose diagnosis the data set does not give; its CBC is drawn like AML's. */
    UNKNOWN;

    /** Whether the specimen comes from a leukaemia patient (every DeepAPL patient does). */
    public boolean leukaemic() {
        return this != NORMAL;
    }

    /** Parses DeepAPL's {@code diagnosis} column (AML / APL / unknown) or this enum's names. */
    public static Diagnosis parse(String text) {
        return switch (text.trim().toUpperCase(java.util.Locale.ROOT)) {
            case "AML" -> AML;
            case "APL" -> APL;
            case "NORMAL", "HEALTHY" -> NORMAL;
            case "UNKNOWN", "" -> UNKNOWN;
            default -> throw new IllegalArgumentException("unknown diagnosis '" + text + "'; expected AML, APL, NORMAL or unknown");
        };
    }
}
