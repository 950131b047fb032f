package org.hemastream.ingest;

import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * The named worker pool ({@code hemastream-inference}) that classification and scoring run on,
 * {@code executeBlocking(…, false)}: remembers what runs so that stopping can wait for it (the ONNX and
 * LightGBM models close after the ingest verticle; a task still running then would crash the JVM), and
 * refuses new work once stopping. Used from the ingest verticle's event loop.
 */
final class WorkerPool {

    private final WorkerExecutor workers;
    private final Set<Future<?>> running = new HashSet<>();
    private boolean stopping;

    WorkerPool(WorkerExecutor workers) {
        this.workers = workers;
    }

    <T> Future<T> run(Callable<T> task) {
        if (stopping) {
            return Future.failedFuture(new IllegalStateException("stopping"));
        }
        Future<T> f = workers.executeBlocking(task, false);
        running.add(f);
        f.onComplete(ar -> running.remove(f));
        return f;
    }

    /** Refuses new work; completes when what runs has finished. */
    Future<?> stop() {
        stopping = true;
        return Future.join(new ArrayList<>(running));
    }

    boolean stopping() {
        return stopping;
    }

    Future<Void> close() {
        return workers.close();
    }
}
