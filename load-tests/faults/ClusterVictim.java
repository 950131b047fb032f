import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * For the fault suite's cluster-broker-kill9: which broker to kill. Prints, per broker, the partitions it leads
 * (internal topics included) and how many of the live transactional IDs it coordinates, then
 * {@code victim=<node id>}: the coordinator of the most transactional IDs (the service's producers), ties and
 * no transactions broken by partitions led. Run with the all-commands jar on the class path:
 * {@code java -cp target/hemastream.jar load-tests/faults/ClusterVictim.java <bootstrap.servers>}.
 */
public final class ClusterVictim {
    public static void main(String[] args) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", args[0]))) {
            Map<Integer, Integer> leads = new TreeMap<>();
            Map<Integer, Integer> coordinates = new TreeMap<>();
            admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).forEach(n -> {
                leads.put(n.id(), 0);
                coordinates.put(n.id(), 0);
            });
            var names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(30, TimeUnit.SECONDS);
            admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS).values().forEach(d -> {
                for (TopicPartitionInfo p : d.partitions()) {
                    if (p.leader() != null) {
                        leads.merge(p.leader().id(), 1, Integer::sum);
                    }
                }
            });
            List<String> ids = admin.listTransactions().all().get(30, TimeUnit.SECONDS).stream()
                    .map(TransactionListing::transactionalId).toList();
            Map<String, TransactionDescription> tx = ids.isEmpty() ? Map.of()
                    : admin.describeTransactions(ids).all().get(30, TimeUnit.SECONDS);
            tx.forEach((id, d) -> {
                coordinates.merge(d.coordinatorId(), 1, Integer::sum);
                System.out.println("transactional_id=" + id + " coordinator=" + d.coordinatorId() + " state=" + d.state());
            });
            int victim = -1;
            for (int node : leads.keySet()) {
                System.out.println("node=" + node + " leads=" + leads.get(node) + " coordinates=" + coordinates.get(node));
                if (victim < 0 || coordinates.get(node) > coordinates.get(victim)
                        || coordinates.get(node).equals(coordinates.get(victim)) && leads.get(node) > leads.get(victim)) {
                    victim = node;
                }
            }
            System.out.println("victim=" + victim);
        }
    }
}
