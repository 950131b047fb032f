package org.hemastream.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Assignment;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupSubscription;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.RebalanceProtocol;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The assignor on its own: subscriptions in, assignments out, several rebalances played through a
 * small model of the group (each member reports what it owns and the table it was last given).
 */
class CoPartitionAssignorTest {

    private static final String CBC = "lab.cbc.results";
    private static final String CAPTURES = "lab.cell.captures";
    private static final Node NODE = new Node(1, "127.0.0.1", 9092);

    /** A member of the modelled group: what it owns and the assignor state it echoes. */
    private static final class Member {
        final String memberId;
        final Optional<String> instanceId;
        final CoPartitionAssignor own = new CoPartitionAssignor();
        List<TopicPartition> owned = new ArrayList<>();
        List<TopicPartition> revokedLastRound = List.of();
        List<TopicPartition> addedLastRound = List.of();

        Member(String memberId, String instanceId) {
            this.memberId = memberId;
            this.instanceId = Optional.ofNullable(instanceId);
        }
    }

    private final CoPartitionAssignor leader = new CoPartitionAssignor();
    private int generation = 1;

    @Test
    void advertisesItsNameAndBothProtocols() {
        assertThat(leader.name()).isEqualTo("hemastream-copartition");
        assertThat(leader.supportedProtocols()).containsExactly(RebalanceProtocol.COOPERATIVE, RebalanceProtocol.EAGER);
    }

    @Test
    void partitionIOfBothTopicsGoesToOneMemberAndIndexesAreBalanced() {
        Cluster cluster = cluster(7);
        List<Member> group = List.of(member("a"), member("b"), member("c"));

        rebalance(cluster, group, true);

        for (Member m : group) {
            assertCoPartitioned(m.owned);
        }
        assertThat(group).extracting(m -> indexes(m.owned).size()).containsExactlyInAnyOrder(3, 2, 2);
        assertEveryPartitionOwnedOnce(cluster, group, 7);
    }

    @Test
    void aRebalanceWithoutMembershipChangeMovesNothing() {
        Cluster cluster = cluster(6);
        List<Member> group = List.of(member("a"), member("b"));
        rebalance(cluster, group, true);
        Map<String, List<TopicPartition>> before = snapshot(group);

        rebalance(cluster, group, true);

        assertThat(snapshot(group)).isEqualTo(before);
        assertThat(group).allSatisfy(m -> assertThat(m.revokedLastRound).isEmpty());
    }

    @Test
    void aJoiningMemberOnlyTakesRevokedIndexesAndOnlyInTheFollowUpRebalance() {
        Cluster cluster = cluster(6);
        Member a = member("a");
        Member b = member("b");
        rebalance(cluster, List.of(a, b), true);
        Set<Integer> aBefore = indexes(a.owned);
        Set<Integer> bBefore = indexes(b.owned);

        Member c = member("c");
        List<Member> group = List.of(a, b, c);
        rebalance(cluster, group, true);

        // first round: a and b each give up one index; c gets nothing it could collide on
        assertThat(c.owned).isEmpty();
        assertThat(indexes(a.owned)).hasSize(2).isSubsetOf(aBefore);
        assertThat(indexes(b.owned)).hasSize(2).isSubsetOf(bBefore);
        assertThat(a.revokedLastRound).hasSize(2); // one index = one partition of each topic
        assertThat(b.revokedLastRound).hasSize(2);
        assertCoPartitioned(a.revokedLastRound);

        // follow-up round: c gets exactly the revoked indexes, nobody else loses anything
        Set<Integer> revoked = new TreeSet<>(indexes(a.revokedLastRound));
        revoked.addAll(indexes(b.revokedLastRound));
        rebalance(cluster, group, true);
        assertThat(indexes(c.owned)).isEqualTo(revoked);
        assertCoPartitioned(c.owned);
        assertThat(a.revokedLastRound).isEmpty();
        assertThat(b.revokedLastRound).isEmpty();
        assertEveryPartitionOwnedOnce(cluster, group, 6);
    }

    @Test
    void aLeavingMembersIndexesGoToTheOthersWithoutMovingAnythingElse() {
        Cluster cluster = cluster(6);
        Member a = member("a");
        Member b = member("b");
        Member c = member("c");
        rebalance(cluster, List.of(a, b, c), true);
        rebalance(cluster, List.of(a, b, c), true);
        Set<Integer> aBefore = indexes(a.owned);
        Set<Integer> bBefore = indexes(b.owned);

        rebalance(cluster, List.of(a, b), true);

        assertThat(indexes(a.owned)).containsAll(aBefore).hasSize(3);
        assertThat(indexes(b.owned)).containsAll(bBefore).hasSize(3);
        assertThat(a.revokedLastRound).isEmpty();
        assertThat(b.revokedLastRound).isEmpty();
        assertEveryPartitionOwnedOnce(cluster, List.of(a, b), 6);
    }

    @Test
    void aStaticMemberThatComesBackAfterItsSessionExpiredGetsItsIndexesBack() {
        Cluster cluster = cluster(6);
        Member a = staticMember("a-1", "hemastream-0");
        Member b = staticMember("b-1", "hemastream-1");
        Member c = staticMember("c-1", "hemastream-2");
        rebalance(cluster, List.of(a, b, c), true);
        rebalance(cluster, List.of(a, b, c), true);
        Set<Integer> bIndexes = indexes(b.owned);

        // b is killed; its session expires: a and c take its indexes
        rebalance(cluster, List.of(a, c), true);
        assertThat(indexes(a.owned).size() + indexes(c.owned).size()).isEqualTo(6);

        // b restarts: a new member ID, nothing owned, no memory of its own
        Member bAgain = staticMember("b-2", "hemastream-1");
        List<Member> group = List.of(a, bAgain, c);
        rebalance(cluster, group, true);
        rebalance(cluster, group, true);

        assertThat(indexes(bAgain.owned)).isEqualTo(bIndexes);
        assertCoPartitioned(bAgain.owned);
        assertEveryPartitionOwnedOnce(cluster, group, 6);
    }

    @Test
    void eagerRebalancesAreStickyThroughTheRememberedTable() {
        Cluster cluster = cluster(6);
        Member a = member("a");
        Member b = member("b");
        rebalance(cluster, List.of(a, b), false);
        Map<String, List<TopicPartition>> before = snapshot(List.of(a, b));

        Member c = member("c");
        rebalance(cluster, List.of(a, b, c), false);

        assertThat(indexes(a.owned)).hasSize(2).isSubsetOf(indexes(before.get("a")));
        assertThat(indexes(b.owned)).hasSize(2).isSubsetOf(indexes(before.get("b")));
        assertThat(indexes(c.owned)).hasSize(2); // eager: nothing is owned during the rebalance, no follow-up needed
        assertEveryPartitionOwnedOnce(cluster, List.of(a, b, c), 6);
    }

    @Test
    void twoMembersClaimingOnePartitionIsResolvedForTheHigherGeneration() {
        Cluster cluster = cluster(2);
        TopicPartition p0 = new TopicPartition(CBC, 0);
        TopicPartition c0 = new TopicPartition(CAPTURES, 0);
        Map<String, Subscription> subs = new LinkedHashMap<>();
        subs.put("zombie", new Subscription(List.of(CBC, CAPTURES), null, List.of(p0, c0), 3, Optional.empty()));
        subs.put("current", new Subscription(List.of(CBC, CAPTURES), null, List.of(p0, c0), 5, Optional.empty()));

        Map<String, Assignment> result = leader.assign(cluster, new GroupSubscription(subs)).groupAssignment();

        assertThat(result.get("current").partitions()).contains(p0, c0);
        assertThat(result.get("zombie").partitions()).doesNotContain(p0, c0);
    }

    @Test
    void topicsWithFewerPartitionsSimplyHaveNoneForHighIndexes() {
        Cluster cluster = new Cluster("c", List.of(NODE), partitions(Map.of(CBC, 4, CAPTURES, 2)), Set.of(), Set.of());
        List<Member> group = List.of(member("a"), member("b"));

        rebalance(cluster, group, true);

        List<TopicPartition> all = group.stream().flatMap(m -> m.owned.stream()).toList();
        assertThat(all).hasSize(6).doesNotHaveDuplicates();
        for (Member m : group) {
            Set<Integer> captures = m.owned.stream().filter(tp -> tp.topic().equals(CAPTURES))
                    .map(TopicPartition::partition).collect(Collectors.toSet());
            Set<Integer> cbc = m.owned.stream().filter(tp -> tp.topic().equals(CBC))
                    .map(TopicPartition::partition).collect(Collectors.toSet());
            assertThat(cbc).containsAll(captures);
        }
    }

    @Test
    void moreMembersThanIndexesLeavesTheExtraMembersEmpty() {
        Cluster cluster = cluster(2);
        List<Member> group = List.of(member("a"), member("b"), member("c"));

        rebalance(cluster, group, true);

        assertThat(group).extracting(m -> indexes(m.owned).size()).containsExactlyInAnyOrder(1, 1, 0);
        assertEveryPartitionOwnedOnce(cluster, group, 2);
    }

    @Test
    void unreadableUserDataIsIgnoredNotFatal() {
        Cluster cluster = cluster(3);
        Map<String, Subscription> subs = new LinkedHashMap<>();
        subs.put("a", new Subscription(List.of(CBC, CAPTURES), ByteBuffer.wrap(new byte[] {9, 9, 9}), List.of(), 1, Optional.empty()));
        subs.put("b", new Subscription(List.of(CBC, CAPTURES), ByteBuffer.wrap(new byte[40]), List.of(), 1, Optional.empty()));

        Map<String, Assignment> result = leader.assign(cluster, new GroupSubscription(subs)).groupAssignment();

        assertThat(result.get("a").partitions().size() + result.get("b").partitions().size()).isEqualTo(6);
    }

    @Test
    void theOwnerTableSurvivesEncoding() {
        CoPartitionAssignor.OwnerTable table = new CoPartitionAssignor.OwnerTable(7,
                Map.of("s:hemastream-0", Set.of(0, 2), "d:consumer-1-abc", Set.of(1)), Map.of("s:hemastream-9", Set.of(3)));

        CoPartitionAssignor.OwnerTable decoded = CoPartitionAssignor.OwnerTable.decode(table.encode());

        assertThat(decoded).isEqualTo(table);
        assertThat(decoded.homeOf(3, Set.of("s:hemastream-9", "s:hemastream-0"))).isEqualTo("s:hemastream-9");
        assertThat(decoded.homeOf(3, Set.of("s:hemastream-0"))).isNull();
    }

    // --- the modelled group -------------------------------------------------------------------

    /**
     * One rebalance: every member sends what it owns (cooperative; nothing under eager) and the table
     * it remembers; the leader assigns; every member applies its assignment.
     */
    private void rebalance(Cluster cluster, List<Member> group, boolean cooperative) {
        Map<String, Subscription> subs = new LinkedHashMap<>();
        for (Member m : group) {
            Subscription s = new Subscription(List.of(CBC, CAPTURES), m.own.subscriptionUserData(Set.of(CBC, CAPTURES)),
                    cooperative ? List.copyOf(m.owned) : List.of(), generation, Optional.empty());
            s.setGroupInstanceId(m.instanceId);
            subs.put(m.memberId, s);
        }
        Map<String, Assignment> result = leader.assign(cluster, new GroupSubscription(subs)).groupAssignment();
        generation++;
        Map<TopicPartition, String> ownersNow = new HashMap<>();
        for (Member m : group) {
            m.owned.forEach(tp -> ownersNow.put(tp, m.memberId));
        }
        for (Member m : group) {
            List<TopicPartition> assigned = result.get(m.memberId).partitions();
            if (cooperative) {
                for (TopicPartition tp : assigned) {
                    String owner = ownersNow.get(tp);
                    assertThat(owner == null || owner.equals(m.memberId))
                            .as("cooperative rule: %s is owned by %s and must not go to %s in the same rebalance", tp, owner, m.memberId)
                            .isTrue();
                }
            }
            m.revokedLastRound = m.owned.stream().filter(tp -> !assigned.contains(tp)).toList();
            m.addedLastRound = assigned.stream().filter(tp -> !m.owned.contains(tp)).toList();
            m.owned = new ArrayList<>(assigned);
            m.own.onAssignment(result.get(m.memberId), new ConsumerGroupMetadata("g", generation, m.memberId, m.instanceId));
        }
    }

    private static Member member(String id) {
        return new Member(id, null);
    }

    private static Member staticMember(String memberId, String instanceId) {
        return new Member(memberId, instanceId);
    }

    private static Cluster cluster(int partitions) {
        return new Cluster("c", List.of(NODE), partitions(Map.of(CBC, partitions, CAPTURES, partitions)), Set.of(), Set.of());
    }

    private static List<PartitionInfo> partitions(Map<String, Integer> counts) {
        Node node = NODE;
        List<PartitionInfo> infos = new ArrayList<>();
        counts.forEach((topic, n) -> {
            for (int i = 0; i < n; i++) {
                infos.add(new PartitionInfo(topic, i, node, new Node[] {node}, new Node[] {node}));
            }
        });
        return infos;
    }

    private static Set<Integer> indexes(List<TopicPartition> partitions) {
        return partitions.stream().map(TopicPartition::partition).collect(Collectors.toCollection(TreeSet::new));
    }

    private static void assertCoPartitioned(List<TopicPartition> partitions) {
        Set<Integer> cbc = partitions.stream().filter(tp -> tp.topic().equals(CBC)).map(TopicPartition::partition).collect(Collectors.toSet());
        Set<Integer> captures = partitions.stream().filter(tp -> tp.topic().equals(CAPTURES)).map(TopicPartition::partition).collect(Collectors.toSet());
        assertThat(cbc).as("partition indexes of %s and %s in %s", CBC, CAPTURES, partitions).isEqualTo(captures);
    }

    private static void assertEveryPartitionOwnedOnce(Cluster cluster, List<Member> group, int perTopic) {
        List<TopicPartition> all = group.stream().flatMap(m -> m.owned.stream()).toList();
        assertThat(all).doesNotHaveDuplicates().hasSize(2 * perTopic);
    }

    private static Map<String, List<TopicPartition>> snapshot(List<Member> group) {
        Map<String, List<TopicPartition>> map = new HashMap<>();
        group.forEach(m -> map.put(m.memberId, List.copyOf(m.owned)));
        return map;
    }
}
