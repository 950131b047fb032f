package org.hemastream.specimen;

import org.hemastream.events.BlastAlert;
import org.hemastream.events.CellImage;
import org.hemastream.events.ErrorCode;
import org.hemastream.events.RecordOrigin;

import java.util.ArrayList;
import java.util.List;

/**
 * What the shell must do after the {@link SpecimenBook} took in one event: cells to classify, alerts
 * to publish, specimens that closed, records to dead-letter, records that need no holding. Mutable
 * while the book builds it; read-only by convention afterwards.
 */
public final class Effects {

    final List<CellImage> toClassify = new ArrayList<>();
    final List<BlastAlert> alerts = new ArrayList<>();
    final List<SpecimenClosed> closed = new ArrayList<>();
    final List<Rejection> rejections = new ArrayList<>();
    final List<RecordOrigin> released = new ArrayList<>();
    int duplicates;

    public List<CellImage> toClassify() {
        return toClassify;
    }

    public List<BlastAlert> alerts() {
        return alerts;
    }

    public List<SpecimenClosed> closed() {
        return closed;
    }

    /** Records the book refuses (e.g. a cell for a slide that already completed): dead-letter them. */
    public List<Rejection> rejections() {
        return rejections;
    }

    /** Records the book took in but does not hold (duplicates): their offsets may be committed. */
    public List<RecordOrigin> released() {
        return released;
    }

    /** Duplicate cell images ignored while handling this event. */
    public int duplicates() {
        return duplicates;
    }

    /** A record the book refuses, with the reason. */
    public record Rejection(RecordOrigin origin, String specimenId, ErrorCode code, String message) {
    }
}
