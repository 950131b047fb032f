package org.hemastream.events;

import java.time.Instant;

/**
 * One cell image from the digital morphology scanner. The image bytes are still encoded (JPEG/PNG):
 * decoding happens on the inference worker pool, never on the event loop.
 */
public record CellImage(String specimenId, String slideId, String cellId, Instant capturedAt, byte[] image)
        implements InputEvent {
}
