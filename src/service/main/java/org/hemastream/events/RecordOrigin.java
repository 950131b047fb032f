package org.hemastream.events;

/**
 * Where a record came from: enough to find it again on the broker and to hold its offset until the
 * specimen it belongs to no longer needs it.
 *
 * @param timestamp the record's Kafka timestamp in epoch milliseconds, or -1 when unknown
 */
public record RecordOrigin(String topic, int partition, long offset, long timestamp, String key) {
}
