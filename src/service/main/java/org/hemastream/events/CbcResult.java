package org.hemastream.events;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One CBC result from a Sysmex XN-series analyzer, parameter codes and units as the analyzer reports
 * them (WBC 10^3/uL, HGB g/dL, MCV fL, …). A rerun for the same specimen replaces the earlier result.
 *
 * @param parameters XN code → measurement, in the order the analyzer sent them
 * @param flags      suspect / abnormal flags such as {@code Blasts?}
 */
public record CbcResult(String specimenId, Instant measuredAt, String analyzerModel, String analyzerSerial,
                        Map<String, Measurement> parameters, List<String> flags) implements InputEvent {

    /** The XN flags that raise a suspicion of blasts (Sysmex XN IP messages). */
    public static final Set<String> BLAST_FLAGS = Set.of("Blasts?", "Blasts/Abn_Lympho?");

    public CbcResult {
        parameters = Map.copyOf(parameters);
        flags = List.copyOf(flags);
    }

    /** The flags of this result that suspect blasts, in the order reported. */
    public List<String> blastFlags() {
        return flags.stream().filter(BLAST_FLAGS::contains).toList();
    }

    /** A value with the unit the analyzer reported it in. */
    public record Measurement(double value, String unit) {
    }
}
