package org.hemastream.sim;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays the laboratory's analyzer line into Kafka: for every specimen its CBC on the CBC topic, its
 * cell images in capture order and then {@code slide-complete} on the captures topic, several slides
 * interleaved ({@link LineSchedule}). Record key = specimen ID, value = the event's UTF-8 JSON, record
 * timestamp = the event's time; these are the service's input contracts (DESIGN.md).
 *
 * <p>Uses a plain kafka-clients {@link Producer} (no Vert.x): sends are asynchronous, {@link #run}
 * flushes before it returns and fails if any send failed. Cell images are paced to
 * {@link SimulationOptions#cellsPerSecond()} when it is above zero. Blocking: call it from a
 * command or test thread, never from an event loop. One run at a time per instance.
 */
public final class AnalyzerLineSimulator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AnalyzerLineSimulator.class);

    private final Producer<String, byte[]> producer;
    private final boolean ownsProducer;
    private final SimulationOptions options;
    private final Clock clock;
    private final AnalyzerMessages messages = new AnalyzerMessages();

    /** Sends through {@code producer}, which the caller keeps and closes; event times from the system clock. */
    public AnalyzerLineSimulator(Producer<String, byte[]> producer, SimulationOptions options) {
        this(producer, options, Clock.systemUTC());
    }

    /** As above, with event times from {@code clock} (a fixed or stepping clock makes runs byte-identical). */
    public AnalyzerLineSimulator(Producer<String, byte[]> producer, SimulationOptions options, Clock clock) {
        this(producer, false, options, clock);
    }

    private AnalyzerLineSimulator(Producer<String, byte[]> producer, boolean ownsProducer, SimulationOptions options, Clock clock) {
        this.producer = Objects.requireNonNull(producer, "producer");
        this.ownsProducer = ownsProducer;
        this.options = Objects.requireNonNull(options, "options");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * A simulator with its own producer to {@code bootstrapServers}, closed by {@link #close()}.
     *
     * @param producerOverrides further kafka-clients producer settings (TLS, SASL, …); may be empty
     */
    public static AnalyzerLineSimulator connect(String bootstrapServers, SimulationOptions options,
                                                Map<String, Object> producerOverrides) {
        return new AnalyzerLineSimulator(new KafkaProducer<>(producerConfig(bootstrapServers, producerOverrides)),
                true, options, Clock.systemUTC());
    }

    /** The producer settings {@link #connect} uses: durable, idempotent, keeps per-partition order. */
    public static Properties producerConfig(String bootstrapServers, Map<String, Object> overrides) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        // Idempotence keeps a specimen's events in order across retries (max 5 in flight).
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "hemastream-simulator");
        p.putAll(overrides);
        return p;
    }

    /** The schedule a run of these specimens follows (pure; for inspection and tests). */
    public LineSchedule schedule(List<Specimen> specimens) {
        return new LineSchedule(specimens, options);
    }

    /** {@link #run(List, Consumer)} without a per-specimen callback. */
    public List<SentSpecimen> run(List<Specimen> specimens) {
        return run(specimens, done -> { });
    }

    /**
     * Sends every event of {@code specimens} ({@link SimulationOptions#repeat()} rounds), waits until
     * the producer has delivered them, and returns the send times per specimen in the order the
     * specimens finished.
     *
     * @param onSpecimenSent called on this thread as soon as a specimen's last event has been handed
     *                       to the producer (delivery may still be pending)
     * @throws IllegalStateException if Kafka rejected any event (the first failure is the cause)
     */
    public List<SentSpecimen> run(List<Specimen> specimens, Consumer<SentSpecimen> onSpecimenSent) {
        LineSchedule schedule = schedule(specimens);
        log.info("simulating {} specimens x {} rounds ({} events) to {} and {}, {} slides in parallel, {}",
                specimens.size(), options.repeat(), schedule.size(), options.cbcTopic(), options.capturesTopic(),
                options.parallelSlides(), options.cellsPerSecond() > 0 ? options.cellsPerSecond() + " cells/s" : "unthrottled");
        AtomicReference<Exception> failure = new AtomicReference<>();
        Map<String, Progress> inProgress = new HashMap<>();
        List<SentSpecimen> finished = new ArrayList<>();
        long start = System.nanoTime();
        long cellsSent = 0;
        for (LineSchedule.PlannedEvent event : schedule) {
            if (failure.get() != null) {
                break;
            }
            Specimen s = event.specimen();
            Progress progress = inProgress.computeIfAbsent(s.specimenId(), id -> new Progress(s.cells().size()));
            if (event.kind() == LineSchedule.Kind.CELL_IMAGE && options.cellsPerSecond() > 0) {
                pace(start, cellsSent);
            }
            Instant now = clock.instant();
            String topic;
            byte[] value;
            switch (event.kind()) {
                case CBC_RESULT -> {
                    topic = options.cbcTopic();
                    value = messages.cbcResult(s.specimenId(), s.cbc(), now);
                    progress.cbc = now;
                }
                case CELL_IMAGE -> {
                    topic = options.capturesTopic();
                    int i = event.cellIndex();
                    value = messages.cellImage(s.specimenId(), s.slideId(), s.cellId(i), now, s.cells().get(i).jpeg());
                    progress.cells[i] = now;
                    cellsSent++;
                }
                case SLIDE_COMPLETE -> {
                    topic = options.capturesTopic();
                    value = messages.slideComplete(s.specimenId(), s.slideId(), s.cells().size(), now);
                    progress.slideComplete = now;
                }
                default -> throw new IllegalStateException("unknown event kind " + event.kind());
            }
            producer.send(new ProducerRecord<>(topic, null, now.toEpochMilli(), s.specimenId(), value), (metadata, e) -> {
                if (e != null) {
                    failure.compareAndSet(null, e);
                }
            });
            if (event.last()) {
                inProgress.remove(s.specimenId());
                SentSpecimen sent = new SentSpecimen(s.specimenId(), s, event.round(), progress.cbc,
                        Arrays.asList(progress.cells), progress.slideComplete);
                finished.add(sent);
                log.debug("specimen {} sent: {} cells", s.specimenId(), s.cells().size());
                onSpecimenSent.accept(sent);
            }
        }
        producer.flush();
        if (failure.get() != null) {
            throw new IllegalStateException("Kafka rejected an analyzer event: " + failure.get().getMessage(), failure.get());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        log.info("simulation done: {} specimens, {} cells in {} s", finished.size(), cellsSent, String.format("%.1f", seconds));
        return finished;
    }

    /** Waits until cell number {@code cellsSent} (0-based) is due at the configured rate. */
    private void pace(long startNanos, long cellsSent) {
        long due = startNanos + (long) (cellsSent * 1e9 / options.cellsPerSecond());
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
            if (Thread.currentThread().isInterrupted()) {
                throw new IllegalStateException("simulation interrupted");
            }
        }
    }

    /** Closes the producer if {@link #connect} created it. */
    @Override
    public void close() {
        if (ownsProducer) {
            producer.close();
        }
    }

    private static final class Progress {
        Instant cbc;
        Instant slideComplete;
        final Instant[] cells;

        Progress(int cells) {
            this.cells = new Instant[cells];
        }
    }
}
