package org.hemastream.ingest;

import org.hemastream.events.RecordOrigin;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * Which offsets of each assigned partition may be committed. Every record is held from the moment it
 * is received until whatever it fed is safely done — its specimen closed and the outputs acknowledged,
 * or its dead letter acknowledged. The committable offset of a partition is the lowest offset still
 * held, or one past the highest seen when nothing is held: a commit never passes the first record of
 * a specimen that is still open. Pure; not thread-safe (used from one event loop).
 */
public final class OffsetLedger {

    /** Topic + partition, without Kafka types. */
    public record Partition(String topic, int partition) {
        public static Partition of(RecordOrigin o) {
            return new Partition(o.topic(), o.partition());
        }
    }

    private static final class Track {
        final TreeMap<Long, Integer> held = new TreeMap<>();
        long nextAfterHighest = -1;
        long lastCommitted = -1;
    }

    private final Map<Partition, Track> tracks = new HashMap<>();

    /** A record was received: hold it. */
    public void hold(RecordOrigin origin) {
        Track t = tracks.computeIfAbsent(Partition.of(origin), p -> new Track());
        t.held.merge(origin.offset(), 1, Integer::sum);
        t.nextAfterHighest = Math.max(t.nextAfterHighest, origin.offset() + 1);
    }

    /** What held the record is done with it. Releasing an unknown record (revoked partition) is a no-op. */
    public void release(RecordOrigin origin) {
        Track t = tracks.get(Partition.of(origin));
        if (t == null) {
            return;
        }
        t.held.computeIfPresent(origin.offset(), (k, n) -> n > 1 ? n - 1 : null);
    }

    /**
     * The offset to commit for a partition when it moved since the last {@link #markCommitted}; empty
     * when there is nothing new to commit.
     */
    public OptionalLong committable(Partition p) {
        Track t = tracks.get(p);
        if (t == null || t.nextAfterHighest < 0) {
            return OptionalLong.empty();
        }
        long offset = t.held.isEmpty() ? t.nextAfterHighest : t.held.firstKey();
        return offset > t.lastCommitted ? OptionalLong.of(offset) : OptionalLong.empty();
    }

    /** Records that {@code offset} was committed for the partition. */
    public void markCommitted(Partition p, long offset) {
        Track t = tracks.get(p);
        if (t != null) {
            t.lastCommitted = Math.max(t.lastCommitted, offset);
        }
    }

    /** Forgets a partition (revoked). */
    public void forget(Partition p) {
        tracks.remove(Objects.requireNonNull(p));
    }

}
