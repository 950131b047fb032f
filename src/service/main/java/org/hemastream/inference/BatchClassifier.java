package org.hemastream.inference;

import org.hemastream.events.CellImage;

import java.util.List;

/**
 * Classifies a batch of cell images: decode, preprocess, infer. Blocking by nature — the streaming
 * service calls it on its inference worker pool, never on an event loop. Implementations are safe to
 * call from several worker threads at once.
 */
public interface BatchClassifier {

    /** One outcome per input cell, in input order. Never throws for a bad image: that is a {@link CellOutcome.Refused}. */
    List<CellOutcome> classify(List<CellImage> cells) throws Exception;

    /** The version of the cell model, as reported in every output event. */
    String modelVersion();

    /** The P(blast) threshold shipped with the model. */
    double blastThreshold();

    /** The model's self-description: its cell types and attributes say which diagnostic features it supplies. */
    CellModelMetadata metadata();
}
