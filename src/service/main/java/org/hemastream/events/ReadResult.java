package org.hemastream.events;

/** The outcome of reading one input record: a usable event, or a reason to dead-letter it. */
public sealed interface ReadResult {

    /** A validated event whose specimenId equals the record key. */
    record Accepted(InputEvent event) implements ReadResult {
    }

    /**
     * A record that cannot be used.
     *
     * @param specimenId the specimen it seemed to belong to, when it could be read (else null)
     */
    record Rejected(ErrorCode code, String message, String specimenId) implements ReadResult {
    }
}
