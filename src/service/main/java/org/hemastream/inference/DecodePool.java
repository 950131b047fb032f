package org.hemastream.inference;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.hemastream.observability.CpuClock;

/**
 * Decodes a batch's images into its input tensor on several threads at once, so that an inference session
 * (above all a GPU's) does not wait for one thread to decode its whole batch: the session's own thread
 * decodes too, and up to {@code threads} pool threads (named {@code hemastream-decode-N}, one per core by
 * default) take cells from the same counter. A pool thread that starts after every cell is taken leaves at
 * once, so a busy pool only means the session decodes more of its batch itself. {@link #decode} returns when
 * every cell of the batch is decoded or refused.
 */
public final class DecodePool implements AutoCloseable {

    /** Fewer cells than this per extra thread are not worth waking it (a 128 px JPEG decodes in ~0.1 ms). */
    private static final int MIN_CELLS_PER_HELPER = 4;

    private final ExecutorService pool;
    private final int threads;
    private final AtomicLong cpuNanos = new AtomicLong();

    /** A pool of {@code threads} daemon threads; 0 = the session threads decode alone. */
    public DecodePool(int threads) {
        if (threads < 0) {
            throw new IllegalArgumentException("decode threads must be >= 0, was " + threads);
        }
        this.threads = threads;
        AtomicInteger n = new AtomicInteger();
        this.pool = threads == 0 ? null : new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "hemastream-decode-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /** One decode thread per core. */
    public static DecodePool perCore() {
        return new DecodePool(Runtime.getRuntime().availableProcessors());
    }

    /** CPU time spent decoding and preprocessing so far, every thread (the sessions' included), nanoseconds. */
    public long cpuNanos() {
        return cpuNanos.get();
    }

    /**
     * Decodes {@code images.get(i)} into slot {@code i} of {@code tensor}, on the calling thread and the pool.
     *
     * @return per image: null when decoded, else why it was refused
     * @throws InterruptedException when the calling thread was interrupted meanwhile (the batch is decoded even so)
     */
    public ImageRejectedException[] decode(List<byte[]> images, ImageDecoder decoder, CellPreprocessor preprocessor,
                                           FloatBuffer tensor) throws InterruptedException {
        Batch batch = new Batch(images, decoder, preprocessor, tensor);
        int helpers = pool == null ? 0 : Math.min(threads, (images.size() - 1) / MIN_CELLS_PER_HELPER);
        for (int i = 0; i < helpers; i++) {
            try {
                pool.execute(batch::work);
            } catch (RejectedExecutionException e) {
                break; // closing: the calling thread decodes the rest
            }
        }
        batch.work();
        awaitAll(batch);
        Throwable failure = batch.failure.get();
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error err) {
            throw err;
        }
        return batch.refused;
    }

    /**
     * Waits for the pool threads' cells even when interrupted: they write into the caller's tensor, which the
     * caller reuses for its next batch. They finish soon (a cell decodes in well under a millisecond).
     */
    private static void awaitAll(Batch batch) throws InterruptedException {
        boolean interrupted = false;
        while (true) {
            try {
                batch.left.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            throw new InterruptedException("interrupted while its batch was decoded");
        }
    }

    /** Stops the pool threads once their current work is done. */
    @Override
    public void close() {
        if (pool != null) {
            pool.shutdown();
        }
    }

    /** One batch's cells, handed out by a counter to whichever thread asks next. */
    private final class Batch {
        private final List<byte[]> images;
        private final ImageDecoder decoder;
        private final CellPreprocessor preprocessor;
        private final FloatBuffer tensor;
        private final ImageRejectedException[] refused;
        private final AtomicInteger next = new AtomicInteger();
        private final CountDownLatch left;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Batch(List<byte[]> images, ImageDecoder decoder, CellPreprocessor preprocessor, FloatBuffer tensor) {
            this.images = images;
            this.decoder = decoder;
            this.preprocessor = preprocessor;
            this.tensor = tensor;
            this.refused = new ImageRejectedException[images.size()];
            this.left = new CountDownLatch(images.size());
        }

        /** Decodes cells until none is left; each thread writes only its own slots of the tensor. */
        void work() {
            long cpu0 = CpuClock.thread();
            try {
                for (int i = next.getAndIncrement(); i < images.size(); i = next.getAndIncrement()) {
                    try {
                        decoder.decodeInto(images.get(i), preprocessor, tensor, i);
                    } catch (ImageRejectedException e) {
                        refused[i] = e;
                    } catch (RuntimeException | Error e) {
                        failure.compareAndSet(null, e);
                    } finally {
                        // the latch publishes the slot and refused[i] to the thread that waits on it
                        left.countDown();
                    }
                }
            } finally {
                cpuNanos.addAndGet(CpuClock.thread() - cpu0);
            }
        }
    }
}
