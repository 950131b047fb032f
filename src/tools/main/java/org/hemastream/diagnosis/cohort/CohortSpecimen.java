package org.hemastream.diagnosis.cohort;

import org.hemastream.diagnosis.DiagnosisClass;
import org.hemastream.events.CbcResult;
import org.hemastream.inference.evaluation.CellManifest.ManifestCell;

import java.util.List;

/**
 * One synthetic patient of a cohort: the diagnosis (ground truth), the CBC, and the real cell images of
 * the smear in scanning order — empty for a CBC-only specimen.
 */
public record CohortSpecimen(String specimenId, CohortProfile profile, CbcResult cbc, List<ManifestCell> smear) {

    public CohortSpecimen {
        smear = List.copyOf(smear);
    }

    public DiagnosisClass diagnosis() {
        return profile.diagnosis();
    }

    /** The cell ID of the {@code index}-th smear cell, as the stream would see it. */
    public static String cellId(int index) {
        return String.format(java.util.Locale.ROOT, "c%03d", index);
    }

    /** The slide ID of the specimen's single smear. */
    public String slideId() {
        return specimenId + "-S1";
    }
}
