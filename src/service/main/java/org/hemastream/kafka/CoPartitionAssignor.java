package org.hemastream.kafka;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer-group assignor that keeps partition <i>i</i> of every subscribed topic on one member,
 * moves as few partition indexes as it can, and supports the {@link RebalanceProtocol#COOPERATIVE
 * cooperative} protocol (and {@link RebalanceProtocol#EAGER eager}). Use it with
 * {@code partition.assignment.strategy=org.hemastream.kafka.CoPartitionAssignor} and the classic group
 * protocol ({@code group.protocol=classic}; with {@code consumer} the broker assigns).
 *
 * <p>hemastream's two input topics are keyed by specimen ID and co-partitioned: a specimen's CBC
 * and its cells are on the same partition index of both topics, so one instance must own that index
 * of both. Kafka's range assignor does that but is eager (every membership change revokes every
 * partition); the cooperative-sticky assignor is incremental but does not keep indexes together.
 *
 * <p>The unit of assignment is the partition <em>index</em>: index <i>i</i> is partition <i>i</i> of
 * each subscribed topic (topics with fewer partitions simply have none for high indexes). Rules:
 * <ol>
 *   <li><b>Sticky.</b> A member keeps the indexes it owns ({@link Subscription#ownedPartitions()}),
 *       except what it must give up for balance. When two members claim one partition (a zombie
 *       after a missed generation), the claim of the higher {@link Subscription#generationId()} wins.</li>
 *   <li><b>Remembered.</b> Every assignment carries, in its user data, the owner table it was computed
 *       with (owner → indexes, keyed by {@code group.instance.id} for static members, member ID
 *       otherwise), stamped with the generation; members echo it in their subscription user data, so
 *       whichever member leads the next rebalance knows it. An index nobody owns goes back to its
 *       last owner if that member is present — under the eager protocol (owned partitions are empty
 *       there), and for a static member that restarted after its session expired: it gets its
 *       indexes back. Static members' last indexes are remembered while they are away.</li>
 *   <li><b>Balanced.</b> Every member gets ⌊n/m⌋ or ⌈n/m⌉ of the n indexes; members that already
 *       hold more get the ⌈n/m⌉ places first; an over-full member gives up first the indexes that
 *       another present member remembers as its own.</li>
 *   <li><b>Cooperative.</b> A partition that one member owns is never given to another in the same
 *       rebalance: it is only taken away (the consumer then rejoins, and the follow-up rebalance gives
 *       it to its new owner). Partitions that do not move are never revoked.</li>
 * </ol>
 *
 * <p>Members should subscribe to the same topics (the service subscribes every instance to both
 * inputs). A member is only given partitions of topics it subscribes to; a mismatch is logged.
 *
 * <p>Threading: Kafka creates one instance per consumer and calls it from that consumer's thread;
 * the remembered table is guarded so a test may share an instance.
 */
public final class CoPartitionAssignor implements ConsumerPartitionAssignor {

    /** The name consumers advertise for this strategy. */
    public static final String NAME = "hemastream-copartition";

    private static final Logger log = LoggerFactory.getLogger(CoPartitionAssignor.class);
    private static final short USER_DATA_VERSION = 1;
    private static final int MAX_REMEMBERED_OWNERS = 10_000;

    private OwnerTable lastSeen = OwnerTable.EMPTY;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<RebalanceProtocol> supportedProtocols() {
        return List.of(RebalanceProtocol.COOPERATIVE, RebalanceProtocol.EAGER);
    }

    @Override
    public synchronized ByteBuffer subscriptionUserData(Set<String> topics) {
        return lastSeen.encode();
    }

    @Override
    public synchronized void onAssignment(Assignment assignment, ConsumerGroupMetadata metadata) {
        OwnerTable table = OwnerTable.decode(assignment.userData());
        int generation = metadata == null ? table.generation() : metadata.generationId();
        lastSeen = table.withGeneration(generation);
    }

    @Override
    public GroupAssignment assign(Cluster metadata, GroupSubscription groupSubscription) {
        Map<String, Subscription> subscriptions = new TreeMap<>(groupSubscription.groupSubscription());
        Set<String> topics = new TreeSet<>();
        subscriptions.values().forEach(s -> topics.addAll(s.topics()));
        Map<String, Integer> partitionCounts = new TreeMap<>();
        for (String topic : topics) {
            Integer count = metadata.partitionCountForTopic(topic);
            if (count != null && count > 0) {
                partitionCounts.put(topic, count);
            } else {
                log.warn("co-partition assignor: no metadata for subscribed topic {}; it gets no assignment", topic);
            }
        }
        Set<Set<String>> distinctSubscriptions = new java.util.HashSet<>();
        subscriptions.values().forEach(s -> distinctSubscriptions.add(new TreeSet<>(s.topics())));
        if (distinctSubscriptions.size() > 1) {
            log.warn("co-partition assignor: members subscribe to different topics ({}); each gets only its own topics",
                    distinctSubscriptions);
        }

        Map<String, MemberState> members = new LinkedHashMap<>();
        subscriptions.forEach((memberId, s) -> members.put(memberId, new MemberState(memberId,
                ownerKey(memberId, s.groupInstanceId()), s.generationId().orElse(-1), s.ownedPartitions(), Set.copyOf(s.topics()))));
        OwnerTable remembered = subscriptions.values().stream()
                .map(s -> OwnerTable.decode(s.userData()))
                .max(Comparator.comparingInt(OwnerTable::generation))
                .orElse(OwnerTable.EMPTY);

        int indexes = partitionCounts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        Plan plan = plan(indexes, partitionCounts.keySet(), List.copyOf(members.values()), remembered);

        Map<String, Assignment> result = new HashMap<>();
        for (MemberState m : members.values()) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int index : plan.targets().getOrDefault(m.memberId(), Set.of())) {
                for (Map.Entry<String, Integer> topic : partitionCounts.entrySet()) {
                    TopicPartition tp = new TopicPartition(topic.getKey(), index);
                    if (index < topic.getValue() && m.topics().contains(topic.getKey())
                            && !plan.withheld().contains(tp)) {
                        partitions.add(tp);
                    }
                }
            }
            result.put(m.memberId(), new Assignment(partitions, plan.table().encode()));
        }
        if (!plan.withheld().isEmpty()) {
            log.info("co-partition assignor: {} partitions move; revoked now, assigned in the follow-up rebalance: {}",
                    plan.withheld().size(), plan.withheld());
        }
        return new GroupAssignment(result);
    }

    /**
     * Computes the target owner of every index and the partitions that must wait for the follow-up
     * rebalance. Pure: everything it needs is in its arguments.
     */
    static Plan plan(int indexCount, Set<String> topics, List<MemberState> members, OwnerTable remembered) {
        Map<String, MemberState> byId = new TreeMap<>();
        members.forEach(m -> byId.put(m.memberId(), m));
        Map<String, String> memberByOwnerKey = new HashMap<>();
        members.forEach(m -> memberByOwnerKey.putIfAbsent(m.ownerKey(), m.memberId()));

        // 1. Who owns each partition now (cooperative protocol), the higher generation winning a conflict.
        Map<TopicPartition, MemberState> currentOwner = new HashMap<>();
        for (MemberState m : members) {
            for (TopicPartition tp : m.owned()) {
                if (!topics.contains(tp.topic()) || tp.partition() >= indexCount) {
                    continue;
                }
                MemberState other = currentOwner.get(tp);
                if (other == null || m.generation() > other.generation()
                        || (m.generation() == other.generation() && m.memberId().compareTo(other.memberId()) < 0)) {
                    currentOwner.put(tp, m);
                }
            }
        }
        // 2. The claimed owner of each index: the member owning most of its partitions now, else the
        //    remembered owner if present.
        java.util.function.IntFunction<String> home = index -> {
            String key = remembered.homeOf(index, memberByOwnerKey.keySet());
            return key == null ? null : memberByOwnerKey.get(key);
        };
        Map<Integer, String> claims = new TreeMap<>();
        for (int i = 0; i < indexCount; i++) {
            Map<String, Integer> counts = new TreeMap<>();
            for (String topic : topics) {
                MemberState owner = currentOwner.get(new TopicPartition(topic, i));
                if (owner != null) {
                    counts.merge(owner.memberId(), 1, Integer::sum);
                }
            }
            Optional<String> now = counts.entrySet().stream()
                    .max(Map.Entry.<String, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder())))
                    .map(Map.Entry::getKey);
            int index = i;
            String claimant = now.orElseGet(() -> home.apply(index));
            if (claimant != null) {
                claims.put(i, claimant);
            }
        }

        // 3. Quotas: floor or ceil of indexes / members; members holding more get the ceil places first.
        Map<String, TreeSet<Integer>> held = new TreeMap<>();
        byId.keySet().forEach(id -> held.put(id, new TreeSet<>()));
        claims.forEach((index, memberId) -> held.get(memberId).add(index));
        Map<String, Integer> quota = new HashMap<>();
        if (!byId.isEmpty()) {
            int floor = indexCount / byId.size();
            int ceilPlaces = indexCount % byId.size();
            List<String> order = new ArrayList<>(byId.keySet());
            order.sort(Comparator.comparingInt((String id) -> held.get(id).size()).reversed()
                    .thenComparing(Comparator.naturalOrder()));
            for (int k = 0; k < order.size(); k++) {
                quota.put(order.get(k), floor + (k < ceilPlaces ? 1 : 0));
            }
        }

        // 4. Over-full members give up indexes, first those another present member remembers as its own.
        TreeSet<Integer> pool = new TreeSet<>();
        for (int i = 0; i < indexCount; i++) {
            if (!claims.containsKey(i)) {
                pool.add(i);
            }
        }
        for (Map.Entry<String, TreeSet<Integer>> e : held.entrySet()) {
            TreeSet<Integer> mine = e.getValue();
            int excess = mine.size() - quota.getOrDefault(e.getKey(), 0);
            if (excess <= 0) {
                continue;
            }
            String self = e.getKey();
            List<Integer> releaseOrder = new ArrayList<>(mine);
            releaseOrder.sort(Comparator.comparingInt((Integer i) -> {
                String homeMember = home.apply(i);
                return homeMember != null && !homeMember.equals(self) ? 0 : 1;
            }).thenComparing(Comparator.reverseOrder()));
            for (int k = 0; k < excess; k++) {
                Integer index = releaseOrder.get(k);
                mine.remove(index);
                pool.add(index);
            }
        }
        // 5. The pool goes to members under quota: an index's remembered owner first, else the emptiest.
        for (Integer index : pool) {
            String homeMember = home.apply(index);
            String target;
            if (homeMember != null && held.get(homeMember).size() < quota.get(homeMember)) {
                target = homeMember;
            } else {
                target = held.entrySet().stream()
                        .filter(e -> e.getValue().size() < quota.get(e.getKey()))
                        .min(Comparator.comparingInt((Map.Entry<String, TreeSet<Integer>> e) -> e.getValue().size())
                                .thenComparing(Map.Entry::getKey))
                        .map(Map.Entry::getKey)
                        .orElse(null);
            }
            if (target != null) {
                held.get(target).add(index);
            }
        }

        // 6. Cooperative rule: a partition owned by another member now is only revoked in this round.
        Set<TopicPartition> withheld = new TreeSet<>(Comparator.comparing(TopicPartition::topic)
                .thenComparingInt(TopicPartition::partition));
        Map<String, Set<Integer>> targets = new TreeMap<>();
        for (Map.Entry<String, TreeSet<Integer>> e : held.entrySet()) {
            targets.put(e.getKey(), Collections.unmodifiableSet(e.getValue()));
            for (int index : e.getValue()) {
                for (String topic : topics) {
                    MemberState owner = currentOwner.get(new TopicPartition(topic, index));
                    if (owner != null && !owner.memberId().equals(e.getKey())) {
                        withheld.add(new TopicPartition(topic, index));
                    }
                }
            }
        }

        // 7. The table to remember: present members' targets, and absent static members' last indexes.
        Map<String, Set<Integer>> owners = new TreeMap<>();
        held.forEach((memberId, indexes) -> owners.put(byId.get(memberId).ownerKey(), Set.copyOf(indexes)));
        Map<String, Set<Integer>> away = new TreeMap<>();
        for (Map<String, Set<Integer>> source : List.of(remembered.owners(), remembered.away())) {
            source.forEach((key, indexes) -> {
                if (key.startsWith(STATIC_KEY) && !memberByOwnerKey.containsKey(key)
                        && owners.size() + away.size() < MAX_REMEMBERED_OWNERS) {
                    away.putIfAbsent(key, indexes);
                }
            });
        }
        return new Plan(targets, withheld, new OwnerTable(remembered.generation(), owners, away));
    }

    private static final String STATIC_KEY = "s:";
    private static final String DYNAMIC_KEY = "d:";

    /**
     * The key a member is remembered by: its {@code group.instance.id} when static (it comes back under
     * it after a restart), else its member ID. Only static members are remembered while away: a dynamic
     * member that left never comes back under the same ID.
     */
    static String ownerKey(String memberId, Optional<String> groupInstanceId) {
        return groupInstanceId.map(id -> STATIC_KEY + id).orElse(DYNAMIC_KEY + memberId);
    }

    /** One member as the plan sees it. */
    record MemberState(String memberId, String ownerKey, int generation, List<TopicPartition> owned, Set<String> topics) {
        MemberState {
            owned = List.copyOf(owned);
            topics = Set.copyOf(topics);
        }
    }

    /**
     * The result of {@link #plan}: target indexes per member ID, the partitions that wait for the
     * follow-up rebalance, and the owner table to remember.
     */
    record Plan(Map<String, Set<Integer>> targets, Set<TopicPartition> withheld, OwnerTable table) {
    }

    /**
     * Owner key → partition indexes, as of a generation: {@code owners} are the members of the last
     * assignment, {@code away} the last indexes of static members that have left (they may come back
     * under their {@code group.instance.id}). Serialised into assignments and subscriptions: version,
     * generation, then both maps as entries (key, indexes).
     */
    record OwnerTable(int generation, Map<String, Set<Integer>> owners, Map<String, Set<Integer>> away) {

        static final OwnerTable EMPTY = new OwnerTable(-1, Map.of(), Map.of());

        OwnerTable {
            owners = copy(owners);
            away = copy(away);
        }

        OwnerTable withGeneration(int newGeneration) {
            return new OwnerTable(newGeneration, owners, away);
        }

        /**
         * The key that index {@code index} belongs to among {@code present} keys: a returning static
         * member's remembered indexes first, then the last assignment's owner; null when neither is present.
         */
        String homeOf(int index, Set<String> present) {
            for (Map<String, Set<Integer>> source : List.of(away, owners)) {
                for (Map.Entry<String, Set<Integer>> e : source.entrySet()) {
                    if (e.getValue().contains(index) && present.contains(e.getKey())) {
                        return e.getKey();
                    }
                }
            }
            return null;
        }

        ByteBuffer encode() {
            int size = 2 + 4 + sizeOf(owners) + sizeOf(away);
            ByteBuffer buffer = ByteBuffer.allocate(size);
            buffer.putShort(USER_DATA_VERSION).putInt(generation);
            put(buffer, owners);
            put(buffer, away);
            buffer.flip();
            return buffer;
        }

        /** Decodes {@link #encode()}'s bytes; anything unreadable (another version, no data) is empty. */
        static OwnerTable decode(ByteBuffer data) {
            if (data == null || data.remaining() < 14) {
                return EMPTY;
            }
            ByteBuffer b = data.duplicate();
            try {
                if (b.getShort() != USER_DATA_VERSION) {
                    return EMPTY;
                }
                int generation = b.getInt();
                Map<String, Set<Integer>> owners = get(b);
                Map<String, Set<Integer>> away = get(b);
                return owners == null || away == null ? EMPTY : new OwnerTable(generation, owners, away);
            } catch (java.nio.BufferUnderflowException e) {
                return EMPTY;
            }
        }

        private static Map<String, Set<Integer>> copy(Map<String, Set<Integer>> map) {
            Map<String, Set<Integer>> copy = new TreeMap<>();
            map.forEach((k, v) -> copy.put(k, Collections.unmodifiableSet(new TreeSet<>(v))));
            return Collections.unmodifiableMap(copy);
        }

        private static int sizeOf(Map<String, Set<Integer>> map) {
            int size = 4;
            for (Map.Entry<String, Set<Integer>> e : map.entrySet()) {
                size += 4 + e.getKey().getBytes(StandardCharsets.UTF_8).length + 4 + 4 * e.getValue().size();
            }
            return size;
        }

        private static void put(ByteBuffer buffer, Map<String, Set<Integer>> map) {
            buffer.putInt(map.size());
            map.forEach((k, v) -> {
                byte[] key = k.getBytes(StandardCharsets.UTF_8);
                buffer.putInt(key.length).put(key).putInt(v.size());
                v.forEach(buffer::putInt);
            });
        }

        private static Map<String, Set<Integer>> get(ByteBuffer b) {
            int entries = b.getInt();
            if (entries < 0 || entries > MAX_REMEMBERED_OWNERS) {
                return null;
            }
            Map<String, Set<Integer>> map = new TreeMap<>();
            for (int e = 0; e < entries; e++) {
                int keyLength = b.getInt();
                if (keyLength < 0 || keyLength > b.remaining()) {
                    return null;
                }
                byte[] key = new byte[keyLength];
                b.get(key);
                int count = b.getInt();
                if (count < 0 || count > b.remaining() / 4) {
                    return null;
                }
                Set<Integer> indexes = new TreeSet<>();
                for (int i = 0; i < count; i++) {
                    indexes.add(b.getInt());
                }
                map.put(new String(key, StandardCharsets.UTF_8), indexes);
            }
            return map;
        }
    }
}
