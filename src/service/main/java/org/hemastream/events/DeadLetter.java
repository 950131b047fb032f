package org.hemastream.events;

import java.time.Instant;

/**
 * An input record the service could not use, as published on {@code hema.dead-letters} with the
 * original record's key. The original bytes travel base64-encoded; only when that would not fit the
 * topic's message size are they truncated, and {@code truncated} says so.
 *
 * @param specimenId      the specimen it seemed to belong to, or null
 * @param originalSize    size of the original value in bytes (0 for a tombstone)
 * @param originalBase64  base64 of the original value (possibly truncated), or null for a tombstone
 */
public record DeadLetter(ErrorCode errorCode, String errorMessage, String specimenId, RecordOrigin origin,
                         int originalSize, boolean truncated, String originalBase64, Instant deadLetteredAt) {

    /**
     * Builds a dead letter, truncating the original so the encoded dead letter stays under
     * {@code maxOriginalBase64Chars}.
     */
    public static DeadLetter of(ErrorCode code, String message, String specimenId, RecordOrigin origin,
                                byte[] original, int maxOriginalBase64Chars, Instant now) {
        if (original == null) {
            return new DeadLetter(code, message, specimenId, origin, 0, false, null, now);
        }
        String encoded = java.util.Base64.getEncoder().encodeToString(original);
        boolean truncated = encoded.length() > maxOriginalBase64Chars;
        if (truncated) {
            // keep whole 4-char groups so the prefix still decodes
            encoded = encoded.substring(0, Math.max(0, maxOriginalBase64Chars - maxOriginalBase64Chars % 4));
        }
        return new DeadLetter(code, message, specimenId, origin, original.length, truncated, encoded, now);
    }
}
