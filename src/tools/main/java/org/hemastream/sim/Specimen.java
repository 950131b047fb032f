package org.hemastream.sim;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One simulated specimen (tube + smear): its CBC and the cell images of its one slide in capture
 * order, with the ground truth the demo prints beside the alerts. Immutable.
 *
 * <p>Identifiers follow one scheme so that a reader can tell them apart at a glance: specimen
 * {@code DEMO-AML-92}, slide {@code DEMO-AML-92-S1}, cell {@code DEMO-AML-92-S1-0007} (1-based capture
 * position).
 *
 * @param specimenId      1–64 of {@code [A-Za-z0-9._-]}, the record key on both input topics
 * @param diagnosis       what the specimen stands for (ground truth)
 * @param dataset         where the cells come from: {@code deepapl_cellavision} or {@code pbc_wbcatt}
 * @param sourceReference the DeepAPL patient ({@code Patient_92}) or how the healthy smear was assembled
 * @param cbc             the synthetic CBC sent for this specimen
 * @param cells           the slide's cells, in capture order
 */
public record Specimen(String specimenId, Diagnosis diagnosis, String dataset, String sourceReference,
                       SyntheticCbc cbc, List<SpecimenCell> cells) {

    /** The specimen ID pattern of the event schemas. */
    public static final Pattern ID_PATTERN = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    /** The most cells a slide may announce in {@code slide-complete} (schema maximum). */
    public static final int MAX_CELLS = 10_000;

    public Specimen {
        Objects.requireNonNull(specimenId, "specimenId");
        Objects.requireNonNull(diagnosis, "diagnosis");
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(sourceReference, "sourceReference");
        Objects.requireNonNull(cbc, "cbc");
        // The slide ID adds 3 characters and must fit the same 64-character pattern.
        if (!ID_PATTERN.matcher(specimenId).matches() || specimenId.length() > 61) {
            throw new IllegalArgumentException("specimenId must be 1..61 characters of [A-Za-z0-9._-] "
                    + "(the slide ID appends -S1), was '" + specimenId + "'");
        }
        cells = List.copyOf(cells);
        if (cells.size() > MAX_CELLS) {
            throw new IllegalArgumentException("specimen " + specimenId + " has " + cells.size()
                    + " cells; a slide may have at most " + MAX_CELLS);
        }
    }

    /** The one slide of this specimen: {@code <specimenId>-S1}. */
    public String slideId() {
        return specimenId + "-S1";
    }

    /** The ID of the cell at 0-based capture position {@code index}: {@code <slideId>-<nnnn>}, 1-based. */
    public String cellId(int index) {
        if (index < 0 || index >= cells.size()) {
            throw new IndexOutOfBoundsException("cell " + index + " of " + cells.size() + " in " + specimenId);
        }
        return String.format(java.util.Locale.ROOT, "%s-%04d", slideId(), index + 1);
    }

    /**
     * The cell a {@code cellId} of this specimen names (as carried by cell results and blast alerts), so
     * that a caller can print its ground truth; empty for IDs of other slides or out of range.
     */
    public java.util.Optional<SpecimenCell> cellById(String cellId) {
        String prefix = slideId() + "-";
        if (cellId == null || !cellId.startsWith(prefix) || cellId.length() != prefix.length() + 4) {
            return java.util.Optional.empty();
        }
        try {
            int index = Integer.parseInt(cellId.substring(prefix.length())) - 1;
            return index >= 0 && index < cells.size() ? java.util.Optional.of(cells.get(index)) : java.util.Optional.empty();
        } catch (NumberFormatException e) {
            return java.util.Optional.empty();
        }
    }

    /** Cells labelled blast ("Blast, no lineage spec") on this slide: the ground truth of blast alerts. */
    public long blastCount() {
        return cells.stream().filter(SpecimenCell::blast).count();
    }

    /** Cells that count as blasts by WHO: blasts, promonocytes and APL's abnormal promyelocytes. */
    public long blastEquivalentCount() {
        return cells.stream().filter(SpecimenCell::blastEquivalent).count();
    }

    /** The same specimen under another ID (for repeated load-test rounds); cells and CBC are shared. */
    public Specimen withSpecimenId(String newId) {
        return new Specimen(newId, diagnosis, dataset, sourceReference, cbc, cells);
    }
}
