package org.hemastream.pipeline;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.threadchecker.BlockedThreadEvent;
import org.hemastream.events.CellImage;
import org.hemastream.inference.CellOutcome;
import org.hemastream.kafka.KafkaBroker;
import org.hemastream.kafka.KafkaBrokerExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pipeline tests run the real service (real ONNX model, real broker) on a Vert.x whose event loops may
 * run at most {@value #MAX_EVENT_LOOP_MILLIS} ms at a time (Vert.x's default is 2000 ms); any
 * blocked-event-loop warning fails the test, with the loop's stack at the time. The limit is not lower
 * because on these 2-core machines the inference workers, the in-JVM broker and the test itself compete
 * for the CPU, and a descheduled (not blocked) event loop also counts: 200 ms fired on CPU starvation
 * alone while a training job ran beside the tests.
 */
@ExtendWith(KafkaBrokerExtension.class)
abstract class PipelineTestBase {

    static final long MAX_EVENT_LOOP_MILLIS = 500;

    protected Vertx vertx;
    protected final List<BlockedThreadEvent> blockedEventLoops = new CopyOnWriteArrayList<>();
    protected final List<String> blockedStacks = new CopyOnWriteArrayList<>();
    protected static volatile boolean watching;
    private final List<PipelineHarness> harnesses = new ArrayList<>();

    @BeforeEach
    void startVertx() {
        watching = false;
        vertx = Vertx.vertx(new VertxOptions()
                .setMaxEventLoopExecuteTime(MAX_EVENT_LOOP_MILLIS).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setBlockedThreadCheckInterval(20).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
                .setMaxWorkerExecuteTime(5).setMaxWorkerExecuteTimeUnit(TimeUnit.MINUTES));
        ((VertxInternal) vertx).blockedThreadChecker().setThreadBlockedHandler(event -> {
            // Watched once the service has started: Vert.x's own start-up (Netty binding the HTTP port) is
            // not ours to fix and can exceed the limit on a loaded 2-core machine.
            if (watching && event.thread().getName().contains("eventloop")) {
                blockedEventLoops.add(event);
                StringBuilder sb = new StringBuilder(event.toString());
                for (StackTraceElement e : event.thread().getStackTrace()) {
                    sb.append("\n    at ").append(e);
                }
                blockedStacks.add(sb.toString());
            }
        });
    }

    @AfterEach
    void stopVertx() throws Exception {
        for (PipelineHarness h : harnesses) {
            h.close();
        }
        vertx.close().await(30, TimeUnit.SECONDS);
        assertThat(blockedStacks).as("blocked event loop warnings, with where the loop was").isEmpty();
    }

    protected PipelineHarness harness(KafkaBroker broker, Map<String, String> overrides) {
        PipelineHarness h = new PipelineHarness(broker, vertx, overrides);
        harnesses.add(h);
        return h;
    }

    /** What the classifier itself says about these images: the truth the pipeline must reproduce. */
    protected static List<Boolean> blastCalls(List<TestCells.Cell> cells) throws Exception {
        List<CellImage> images = new ArrayList<>();
        for (TestCells.Cell c : cells) {
            images.add(new CellImage("X", "X", c.file(), Instant.EPOCH, c.jpeg()));
        }
        List<Boolean> out = new ArrayList<>();
        for (CellOutcome o : PipelineHarness.classifier().classify(images)) {
            out.add(o instanceof CellOutcome.Classified c && c.result().blast());
        }
        return out;
    }
}
