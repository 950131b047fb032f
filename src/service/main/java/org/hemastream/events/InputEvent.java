package org.hemastream.events;

/**
 * A validated event from the analyzer line. Every input event names the specimen it belongs to; the
 * record key on the input topics must equal it (co-partitioning depends on it).
 */
public sealed interface InputEvent permits CbcResult, CellImage, SlideComplete {

    /** Tube / smear barcode: 1–64 of {@code [A-Za-z0-9._-]}. */
    String specimenId();
}
