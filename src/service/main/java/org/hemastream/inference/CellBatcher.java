package org.hemastream.inference;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Dynamic batching as Triton and DJL do it: a batch leaves when it is full or when its oldest item has
 * waited {@code maxDelay}. The clock is passed in (nanoseconds), so the policy is testable without
 * timers. The queue is bounded by the caller's backpressure (cells in flight never exceed the high
 * mark). Not thread-safe: used from one event loop.
 *
 * @param <T> the queued item
 */
public final class CellBatcher<T> {

    /** An item with the time it joined the queue. */
    public record Queued<T>(T item, long enqueuedNanos) {
    }

    private final int maxBatch;
    private final long maxDelayNanos;
    private final ArrayDeque<Queued<T>> queue = new ArrayDeque<>();

    public CellBatcher(int maxBatch, Duration maxDelay) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be >= 1, was " + maxBatch);
        }
        this.maxBatch = maxBatch;
        this.maxDelayNanos = maxDelay.toNanos();
    }

    public void add(T item, long nowNanos) {
        queue.addLast(new Queued<>(item, nowNanos));
    }

    public int queued() {
        return queue.size();
    }

    /** A batch that is due now — full, or its oldest item waited long enough — else an empty list. */
    public List<Queued<T>> takeReady(long nowNanos) {
        if (queue.isEmpty() || (queue.size() < maxBatch && nowNanos - queue.peekFirst().enqueuedNanos() < maxDelayNanos)) {
            return List.of();
        }
        List<Queued<T>> batch = new ArrayList<>(Math.min(maxBatch, queue.size()));
        while (batch.size() < maxBatch && !queue.isEmpty()) {
            batch.add(queue.pollFirst());
        }
        return batch;
    }

    /** Nanoseconds until the oldest item's batch is due (0 if due now), or -1 when the queue is empty. */
    public long nanosUntilDue(long nowNanos) {
        if (queue.isEmpty()) {
            return -1;
        }
        if (queue.size() >= maxBatch) {
            return 0;
        }
        return Math.max(0, queue.peekFirst().enqueuedNanos() + maxDelayNanos - nowNanos);
    }

    /** Removes every queued item that matches (their specimens were dropped) and returns them. */
    public List<T> removeIf(java.util.function.Predicate<T> drop) {
        List<T> removed = new ArrayList<>();
        queue.removeIf(q -> {
            if (drop.test(q.item())) {
                removed.add(q.item());
                return true;
            }
            return false;
        });
        return removed;
    }
}
