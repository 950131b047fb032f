package org.hemastream.publish;

import org.hemastream.config.ServiceConfig;
import org.hemastream.events.BlastAlert;
import org.hemastream.events.CellResult;
import org.hemastream.events.DeadLetter;
import org.hemastream.events.DiagnosticScore;
import org.hemastream.events.ErrorCode;
import org.hemastream.events.EventWriter;
import org.hemastream.events.RecordOrigin;
import org.hemastream.ingest.TransactionCycle;

import java.time.Instant;

/**
 * Turns the service's outputs — cell results, blast alerts, diagnostic scores, dead letters — into the
 * records of a commit unit: topic, key (the specimen ID; a dead letter keeps the original record's key),
 * the JSON bytes, and the input partition they derive from. Pure apart from JSON encoding; the
 * {@code KafkaLoop} sends them.
 */
public final class OutputEncoder {

    private final ServiceConfig.TopicsConfig topics;
    private final EventWriter writer = new EventWriter();
    private final int maxDeadLetterBytes;
    private final String reviewBaseUrl;

    public OutputEncoder(ServiceConfig config) {
        this.topics = config.topics();
        this.maxDeadLetterBytes = config.deadLetters().maxMessageBytes();
        this.reviewBaseUrl = config.alerts().reviewBaseUrl();
    }

    /** @param capture the cell-image record the result derives from, or null when it is no longer known */
    public TransactionCycle.Output cellResult(CellResult r, int partition, RecordOrigin capture) {
        return new TransactionCycle.Output(topics.cellResults(), r.specimenId(), writer.cellResult(r, capture), partition);
    }

    public TransactionCycle.Output diagnosticScore(DiagnosticScore s, int partition) {
        return new TransactionCycle.Output(topics.diagnosticScores(), s.specimenId(), writer.diagnosticScore(s), partition);
    }

    public TransactionCycle.Output blastAlert(BlastAlert a, int partition) {
        return new TransactionCycle.Output(topics.blastAlerts(), a.specimenId(), writer.blastAlert(a, reviewUrl(a)), partition);
    }

    /**
     * {@code alerts.reviewBaseUrl + /alerts/ + alertId}: derived from the alert's ID and configuration only, so a
     * restored slide's alert needs no new changelog state and a replay re-sends the same link.
     */
    private String reviewUrl(BlastAlert a) {
        return reviewBaseUrl == null ? null : reviewBaseUrl + "/alerts/" + a.alertId();
    }

    /**
     * A dead letter, truncating (and marking) the original only as far as needed to stay under
     * {@code deadLetters.maxMessageBytes}: the dead letter itself must never be lost.
     */
    public TransactionCycle.Output deadLetter(ErrorCode code, String message, String specimenId, RecordOrigin origin,
                                              byte[] original) {
        DeadLetter empty = DeadLetter.of(code, message, specimenId, origin, null, 0, Instant.now());
        int overhead = writer.deadLetterOverhead(empty) + 64;
        DeadLetter letter = DeadLetter.of(code, message, specimenId, origin, original,
                Math.max(0, maxDeadLetterBytes - overhead), empty.deadLetteredAt());
        return new TransactionCycle.Output(topics.deadLetters(), origin.key(), writer.deadLetter(letter), origin.partition());
    }
}
