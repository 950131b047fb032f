package org.hemastream.ingest;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.hemastream.specimen.SpecimenState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * The one thread that talks to Kafka for an instance (Kafka Streams' {@code StreamThread} shape): it owns
 * the group consumer, the producer (transactional under {@code exactly_once}) and the changelog restore
 * consumer, none of which are thread-safe. It polls and hands records to the ingest verticle's event
 * loop, restores a partition's open specimens from the changelog before any of that partition's records
 * are handed over, and executes the commit units the verticle seals:
 * <ul>
 *   <li>{@code exactly_once}: {@code beginTransaction}, every output and state record,
 *       {@code sendOffsetsToTransaction(positions, consumer.groupMetadata())}, {@code commitTransaction}.
 *       Any failure aborts (a fenced or broken producer is replaced, {@code initTransactions} fencing
 *       the old one), and the instance rebuilds from the last committed unit: every assigned partition is
 *       sought back to its committed offset and its specimens restored from the changelog.</li>
 *   <li>{@code at_least_once}: every output and state record is sent with the idempotent producer and
 *       re-sent with the same content until acknowledged, then the positions are committed.</li>
 * </ul>
 * Rebalances: on revocation the verticle first drops the revoked partitions' uncommitted work, then units
 * already sealed are committed before the partitions go (the generation is still valid).
 */
public final class KafkaLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(KafkaLoop.class);

    /** One input record, without Kafka types. */
    public record InputRecord(String topic, int partition, long offset, long timestamp, String key, byte[] value) {
    }

    /** What the loop reports; every call is made on the verticle's event loop (see {@link #KafkaLoop}). */
    public interface Listener {
        void assigned(Set<OffsetLedger.Partition> partitions, List<SpecimenState> restored);

        /** The loop waits until this returned (on the event loop) before it lets the partitions go. */
        void revoked(Set<OffsetLedger.Partition> partitions);

        void records(List<InputRecord> records);

        void committed(TransactionCycle.CommitUnit unit);

        void failed(TransactionCycle.CommitUnit unit, String cause);

        /** After a failed unit: every assigned partition re-reads from its committed offset; this is its state. */
        void rebuilt(List<SpecimenState> restored);

        /** Whether the broker answered the last check (checked every couple of seconds). */
        void brokerReachable(boolean reachable);
    }

    /** How the verticle posts work to its event loop. */
    public interface Poster {
        void post(Runnable onEventLoop);
    }

    private final Map<String, Object> consumerProps;
    private final Map<String, Object> producerProps;
    private final Map<String, Object> restoreProps;
    private final boolean exactlyOnce;
    private final List<String> inputs;
    private final String changelog;
    private final Listener listener;
    private final Poster poster;
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final Set<Integer> ownedNumbers = new HashSet<>();
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private volatile boolean running = true;
    private volatile boolean halted;
    private Consumer<String, byte[]> consumer;
    private UnitCommitter committer;
    private final ChangelogReader changelogReader;
    private Thread thread;
    private long nextBrokerCheck;
    private Boolean lastReachable;

    public KafkaLoop(Map<String, Object> consumerProps, Map<String, Object> producerProps, Map<String, Object> restoreProps,
                     boolean exactlyOnce, List<String> inputs, String changelog, Listener listener, Poster poster) {
        this.consumerProps = consumerProps;
        this.producerProps = producerProps;
        this.restoreProps = restoreProps;
        this.exactlyOnce = exactlyOnce;
        this.inputs = List.copyOf(inputs);
        this.changelog = changelog;
        this.listener = listener;
        this.poster = poster;
        this.changelogReader = new ChangelogReader(restoreProps, changelog);
    }

    /** Starts the thread; the future completes once the clients exist and the consumer subscribed. */
    public CompletableFuture<Void> start() {
        thread = new Thread(this, "hemastream-kafka");
        thread.setDaemon(true);
        thread.start();
        return started;
    }

    // ------------------------------------------------------------------------------ commands (any thread)

    public void pause(Set<OffsetLedger.Partition> partitions) {
        commands.add(() -> consumer.pause(kafka(partitions).stream().filter(consumer.assignment()::contains).toList()));
    }

    public void resume(Set<OffsetLedger.Partition> partitions) {
        commands.add(() -> consumer.resume(kafka(partitions).stream().filter(consumer.assignment()::contains).toList()));
    }

    /** Commits a sealed unit; the listener hears {@code committed} or {@code failed} (then {@code rebuilt}). */
    public void commit(TransactionCycle.CommitUnit unit) {
        commands.add(new CommitCommand(unit));
        if (consumer != null) {
            consumer.wakeup();
        }
    }

    /** Stops after the commands queued so far; closes the clients (the consumer leaves nothing uncommitted behind). */
    public CompletableFuture<Void> close() {
        commands.add(() -> running = false);
        if (consumer != null) {
            consumer.wakeup();
        }
        return finished;
    }

    /**
     * Stops dead, as {@code kill -9} would: no commit, no abort, clients left open (a zombie, as the
     * process would be until the broker notices). For tests; returns what closes the zombie later.
     */
    public AutoCloseable halt() {
        halted = true;
        running = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        return () -> {
            try {
                finished.get(30, TimeUnit.SECONDS);
            } finally {
                if (consumer != null) {
                    consumer.close(Duration.ZERO);
                }
                if (committer != null) {
                    committer.close(Duration.ZERO);
                }
            }
        };
    }

    // ------------------------------------------------------------------------------------ the thread

    @Override
    public void run() {
        try {
            consumer = new KafkaConsumer<>(consumerProps, new StringDeserializer(), new ByteArrayDeserializer());
            committer = new UnitCommitter(producerProps, exactlyOnce, changelog, () -> running);
            consumer.subscribe(inputs, new Rebalance());
            clientsCreated.accept(consumer, committer.producer());
            started.complete(null);
        } catch (RuntimeException e) {
            started.completeExceptionally(e);
            finished.complete(null);
            return;
        }
        try {
            while (running) {
                runCommands();
                if (!running) {
                    break;
                }
                ConsumerRecords<String, byte[]> polled;
                try {
                    polled = consumer.poll(Duration.ofMillis(100));
                } catch (WakeupException e) {
                    continue;
                }
                if (!polled.isEmpty()) {
                    List<InputRecord> batch = new ArrayList<>(polled.count());
                    for (ConsumerRecord<String, byte[]> r : polled) {
                        batch.add(new InputRecord(r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), r.value()));
                    }
                    poster.post(() -> listener.records(batch));
                }
                checkBroker();
            }
        } catch (RuntimeException e) {
            if (!halted) {
                log.error("kafka loop stopped: {}", e.toString(), e);
            }
        } finally {
            if (!halted) {
                closeClients();
            }
            finished.complete(null);
        }
    }

    private void runCommands() {
        Runnable c;
        while (running && (c = commands.poll()) != null) {
            c.run();
        }
    }

    private void checkBroker() {
        long now = System.currentTimeMillis();
        if (now < nextBrokerCheck) {
            return;
        }
        nextBrokerCheck = now + 2000;
        boolean reachable;
        try {
            Set<TopicPartition> assignment = consumer.assignment();
            consumer.endOffsets(assignment.isEmpty() ? List.of(new TopicPartition(inputs.get(0), 0)) : assignment,
                    Duration.ofSeconds(2));
            reachable = true;
        } catch (WakeupException e) {
            nextBrokerCheck = 0;
            return;
        } catch (KafkaException e) {
            reachable = false;
        }
        if (lastReachable == null || lastReachable != reachable) {
            lastReachable = reachable;
            boolean r = reachable;
            poster.post(() -> listener.brokerReachable(r));
        }
    }

    private void closeClients() {
        try {
            consumer.close(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            log.warn("closing consumer: {}", e.toString());
        }
        try {
            committer.close(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            log.warn("closing producer: {}", e.toString());
        }
    }

    // ------------------------------------------------------------------------------------- commits

    private void execute(TransactionCycle.CommitUnit unit) {
        if (!exactlyOnce) {
            committer.sendUntilAcked(unit, n -> poster.post(() -> retried.accept(n)));
            commitOffsets(unit);
            poster.post(() -> listener.committed(unit));
            return;
        }
        if (committer.commitTransaction(unit, consumer.groupMetadata())) {
            log.debug("unit {} committed: {} outputs, {} state records, offsets {}", unit.sequence(), unit.outputs().size(),
                    unit.state().size(), unit.offsets());
            poster.post(() -> listener.committed(unit));
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> committed = committedOffsets();
        if (!unit.offsets().isEmpty() && UnitCommitter.offsets(unit).entrySet().stream()
                .allMatch(e -> e.getValue().equals(committed.get(e.getKey())))) {
            // the producer was replaced before it heard the outcome, and the coordinator had committed it
            log.info("unit {} turned out committed (the group's offsets are its positions)", unit.sequence());
            poster.post(() -> listener.committed(unit));
            return;
        }
        poster.post(() -> listener.failed(unit, "aborted"));
        commands.removeIf(c -> c instanceof CommitCommand); // built on void state
        rebuild(committed);
    }

    /** at_least_once: the positions, after every output and state record was acknowledged. */
    private void commitOffsets(TransactionCycle.CommitUnit unit) {
        Map<TopicPartition, OffsetAndMetadata> offsets = UnitCommitter.offsets(unit);
        offsets.keySet().retainAll(consumer.assignment());
        while (running && !offsets.isEmpty()) {
            try {
                consumer.commitSync(offsets, Duration.ofSeconds(30));
                return;
            } catch (org.apache.kafka.clients.consumer.CommitFailedException
                     | org.apache.kafka.common.errors.RebalanceInProgressException e) {
                log.info("offsets of unit {} not committed ({}): the partitions' next owner re-reads them", unit.sequence(),
                        e.toString());
                return;
            } catch (KafkaException e) {
                log.warn("committing offsets of unit {} failed ({}); retrying", unit.sequence(), e.toString());
                sleep(1000);
            }
        }
    }

    /** The group's committed offsets of every assigned partition, retried until the broker answers. */
    private Map<TopicPartition, OffsetAndMetadata> committedOffsets() {
        while (true) {
            try {
                Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(consumer.assignment(), Duration.ofSeconds(10));
                Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
                committed.forEach((tp, om) -> {
                    if (om != null) {
                        out.put(tp, om);
                    }
                });
                return out;
            } catch (KafkaException e) {
                if (!running) {
                    throw e;
                }
                log.warn("reading the committed offsets: {}; retrying", e.toString());
                sleep(1000);
            }
        }
    }

    private volatile java.util.function.BiConsumer<Consumer<String, byte[]>, Producer<String, byte[]>> clientsCreated = (c, p) -> { };

    /** Called on the loop thread once the consumer and the first producer exist (to bind client metrics). */
    public void onClients(java.util.function.BiConsumer<Consumer<String, byte[]>, Producer<String, byte[]>> hook) {
        clientsCreated = hook;
    }

    /** Re-sends counted for metrics; a hook the verticle fills. */
    private volatile java.util.function.IntConsumer retried = n -> { };

    public void onRetried(java.util.function.IntConsumer hook) {
        retried = hook;
    }

    /** After a failed unit: back to the committed offsets and the committed state of every assigned partition. */
    private void rebuild(Map<TopicPartition, OffsetAndMetadata> committed) {
        while (running) {
            try {
                Set<TopicPartition> assignment = consumer.assignment();
                List<TopicPartition> none = new ArrayList<>();
                for (TopicPartition tp : assignment) {
                    OffsetAndMetadata om = committed.get(tp);
                    if (om == null) {
                        none.add(tp);
                    } else {
                        consumer.seek(tp, om.offset());
                    }
                }
                if (!none.isEmpty()) {
                    consumer.seekToBeginning(none); // an empty collection would mean every assigned partition
                }
                log.info("rebuilding: input back to the committed offsets {} (from the beginning: {})", committed, none);
                Set<Integer> numbers = new HashSet<>();
                assignment.forEach(tp -> numbers.add(tp.partition()));
                List<SpecimenState> restored = changelogReader.restore(numbers);
                poster.post(() -> listener.rebuilt(restored));
                return;
            } catch (KafkaException e) {
                log.warn("rebuilding after a failed transaction: {}; retrying", e.toString());
                sleep(1000);
                committed = committedOffsets();
            }
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            Set<Integer> fresh = new HashSet<>();
            Set<Integer> before = new HashSet<>(ownedNumbers);
            for (TopicPartition tp : partitions) {
                if (!before.contains(tp.partition())) {
                    fresh.add(tp.partition());
                }
                ownedNumbers.add(tp.partition());
            }
            if (!fresh.isEmpty()) {
                // The previous owner may be a zombie (frozen past its session, woken) with a transaction open that
                // commits these partitions' offsets and state together: Kafka answers committed() only once no
                // such transaction is pending (KIP-447). Restoring first would read the changelog without that
                // transaction's state, then resume after its offsets: the unit's cells missing from their
                // specimens, which never complete (the fault suite's service-freeze).
                committedOffsets();
            }
            List<SpecimenState> restored = changelogReader.restore(fresh);
            Set<OffsetLedger.Partition> ps = plain(partitions);
            poster.post(() -> listener.assigned(ps, restored));
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty() || halted) {
                return;
            }
            Set<OffsetLedger.Partition> ps = plain(partitions);
            CompletableFuture<Void> handled = new CompletableFuture<>();
            poster.post(() -> {
                try {
                    listener.revoked(ps);
                } finally {
                    handled.complete(null);
                }
            });
            try {
                handled.get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("revocation not handled by the event loop in time: {}", e.toString());
            }
            runCommands(); // commit units sealed before the revocation while the generation is still valid
            forgetNumbers(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            Set<OffsetLedger.Partition> ps = plain(partitions);
            poster.post(() -> listener.revoked(ps));
            forgetNumbers(partitions);
        }

        private void forgetNumbers(Collection<TopicPartition> partitions) {
            Set<TopicPartition> remaining = new HashSet<>(consumer.assignment());
            remaining.removeAll(partitions);
            ownedNumbers.clear();
            remaining.forEach(tp -> ownedNumbers.add(tp.partition()));
        }
    }

    private static Set<OffsetLedger.Partition> plain(Collection<TopicPartition> partitions) {
        Set<OffsetLedger.Partition> out = new HashSet<>();
        partitions.forEach(tp -> out.add(new OffsetLedger.Partition(tp.topic(), tp.partition())));
        return out;
    }

    private static List<TopicPartition> kafka(Set<OffsetLedger.Partition> partitions) {
        return partitions.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private final class CommitCommand implements Runnable {
        private final TransactionCycle.CommitUnit unit;

        CommitCommand(TransactionCycle.CommitUnit unit) {
            this.unit = unit;
        }

        @Override
        public void run() {
            execute(unit);
        }
    }
}
