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

    public OutputEncoder(ServiceConfig config) {
        this.topics = config.topics();
        this.maxDeadLetterBytes = config.deadLetters().maxMessageBytes();
    }

    public TransactionCycle.Output cellResult(CellResult r, int partition) {
        return new TransactionCycle.Output(topics.cellResults(), r.specimenId(), writer.cellResult(r), partition);
    }

    public TransactionCycle.Output diagnosticScore(DiagnosticScore s, int partition) {
        return new TransactionCycle.Output(topics.diagnosticScores(), s.specimenId(), writer.diagnosticScore(s), partition);
    }

    public TransactionCycle.Output blastAlert(BlastAlert a, int partition) {
        return new TransactionCycle.Output(topics.blastAlerts(), a.specimenId(), writer.blastAlert(a), partition);
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
