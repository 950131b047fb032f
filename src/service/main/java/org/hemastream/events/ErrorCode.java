package org.hemastream.events;

/**
 * Why an input record became a dead letter. Stable names: dashboards count dead letters by them
 * ({@code hemastream_dead_letters_total{reason=…}}) and operators grep for them.
 */
public enum ErrorCode {
    NULL_VALUE("the record has no value (tombstone)"),
    NOT_UTF8("the value is not valid UTF-8"),
    INVALID_JSON("the value is not parseable JSON"),
    NOT_A_JSON_OBJECT("the value is JSON but not an object"),
    MISSING_EVENT_TYPE("the event has no string 'type'"),
    UNKNOWN_EVENT_TYPE("the event type is not one this service knows"),
    WRONG_TOPIC("the event type does not belong on this topic"),
    UNSUPPORTED_SCHEMA_VERSION("the event's schemaVersion is not supported"),
    INVALID_SPECIMEN_ID("the specimenId is missing or not 1-64 of [A-Za-z0-9._-]"),
    SCHEMA_VIOLATION("the event violates its JSON Schema"),
    MISSING_KEY("the record has no key; it must equal the specimenId"),
    KEY_MISMATCH("the record key differs from the event's specimenId"),
    INVALID_BASE64("the image is not valid base64"),
    IMAGE_EMPTY("the image has no bytes"),
    IMAGE_TOO_LARGE("the image exceeds the configured byte size"),
    IMAGE_NOT_AN_IMAGE("the image bytes are neither JPEG nor PNG"),
    IMAGE_TOO_MANY_PIXELS("the image declares more pixels than allowed"),
    IMAGE_CORRUPT("the image could not be decoded (truncated or corrupt)"),
    LATE_CELL("a cell image arrived for a slide or specimen that has already completed"),
    LATE_INPUT("a CBC or slide arrived for a specimen that has already closed: its final outputs stand"),
    LIMIT_EXCEEDED("a specimen exceeded a bound (cells per slide, slides per specimen): it was closed"),
    PROCESSING_FAILED("the service failed to process the event (see message)");

    private final String description;

    ErrorCode(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
