package org.hemastream.events;

import java.time.Instant;

/** The scanner has sent all {@code cellCount} cell images of a slide. */
public record SlideComplete(String specimenId, String slideId, int cellCount, Instant completedAt)
        implements InputEvent {
}
