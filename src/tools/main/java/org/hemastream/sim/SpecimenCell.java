package org.hemastream.sim;

import java.util.Objects;

/**
 * One real cell image of a simulated smear, with its provenance: the data set, the file in that data
 * set and the label its annotators gave it. The label is ground truth for the demo and for measuring
 * blast detection; it is never sent to Kafka (a scanner does not know it).
 *
 * @param dataset         {@code deepapl_cellavision} or {@code pbc_wbcatt}
 * @param originalFile    path relative to that data set's folder, e.g. {@code images/blast/BL_17400033.jpg}
 * @param label           the data set's own label (DeepAPL {@code label}, PBC {@code fine_label})
 * @param blast           DeepAPL {@code blast}: "Blast, no lineage spec"; always false for PBC
 * @param blastEquivalent DeepAPL {@code blast_equivalent}: blasts, promonocytes and APL promyelocytes
 * @param jpeg            the original 128×128 JPEG file, byte for byte (not copied: do not modify)
 */
public record SpecimenCell(String dataset, String originalFile, String label, boolean blast,
                           boolean blastEquivalent, byte[] jpeg) {

    public SpecimenCell {
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(originalFile, "originalFile");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(jpeg, "jpeg");
        if (jpeg.length == 0) {
            throw new IllegalArgumentException("empty image for " + dataset + ":" + originalFile);
        }
    }

    /** The file name without folders and extension, e.g. {@code BL_17400033}. */
    public String originalStem() {
        String name = originalFile.substring(originalFile.lastIndexOf('/') + 1);
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    @Override
    public String toString() {
        return "SpecimenCell[" + dataset + ":" + originalFile + ", label=" + label + ", blast=" + blast
                + ", " + jpeg.length + " bytes]";
    }
}
