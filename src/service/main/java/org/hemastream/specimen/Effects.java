package org.hemastream.specimen;

import org.hemastream.events.BlastAlert;
import org.hemastream.events.CbcResult;
import org.hemastream.events.CellImage;
import org.hemastream.events.CellResult;
import org.hemastream.events.DiagnosticScore;
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
    final List<CellResult> cellResults = new ArrayList<>();
    final List<ScoreRequest> scores = new ArrayList<>();
    int duplicates;

    /** Classifications the book accepted: publish each (a stale or repeated one is not listed). */
    public List<CellResult> cellResults() {
        return cellResults;
    }

    /** Diagnostic scores due, in the order they must be published (a specimen's cbc-only before its final). */
    public List<ScoreRequest> scores() {
        return scores;
    }

    /**
     * A diagnostic score to compute.
     *
     * @param scoreId the score's ID: {@code (specimen, final)}; {@code (specimen, cbc-only)} for the first CBC;
     *                a newer CBC measurement's {@code cbc-only} score is a revision named by its {@code measuredAt}
     *                (an ID never names two contents)
     * @param state   {@code open} for cbc-only, else the closed specimen's completeness
     * @param reasons why partial, empty otherwise
     */
    public record ScoreRequest(String scoreId, String specimenId, DiagnosticScore.Stage stage, CbcResult cbc,
                               List<CellResult> cells, String state, List<String> reasons) {
    }

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
