package org.hemastream.diagnosis;

import java.util.Locale;

/**
 * The diagnoses the reference diagnostic model scores, in its class order (LightGBM label = ordinal).
 * A site model may name other classes in its sidecar JSON; the service reads class names from there,
 * never from this enum.
 */
public enum DiagnosisClass {
    NORMAL("normal"),
    AML("aml"),
    ALL("all"),
    /** Malignant lymphoma in leukaemic phase (lymphoma cells circulating). */
    LYMPHOMA("lymphoma"),
    /** Myeloproliferative neoplasm: CML, PV, ET or PMF. */
    MPN("mpn"),
    MDS("mds");

    private final String wireName;

    DiagnosisClass(String wireName) {
        this.wireName = wireName;
    }

    /** The name in model files, CSV exports and events, e.g. {@code mds}. */
    public String wireName() {
        return wireName;
    }

    /** Parses a wire name or enum name, case-insensitively. */
    public static DiagnosisClass parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        for (DiagnosisClass c : values()) {
            if (c.wireName.equals(t)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown diagnosis '" + text + "'; expected one of normal, aml, all, "
                + "lymphoma, mpn, mds");
    }
}
