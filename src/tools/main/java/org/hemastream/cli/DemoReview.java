package org.hemastream.cli;

import io.vertx.core.Vertx;
import org.apache.kafka.clients.admin.Admin;
import org.hemastream.config.ServiceConfig;
import org.hemastream.config.Settings;
import org.hemastream.kafka.Replication;
import org.hemastream.kafka.Topics;
import org.hemastream.review.ReviewConfig;
import org.hemastream.review.ReviewServer;
import org.hemastream.review.Reviewers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The review page inside the demo: creates the topics first (the review server reads them from their beginning),
 * then starts the {@link ReviewServer} with a one-off reviewer {@code demo} and a random token, unless the
 * configuration names its own reviewers file or identity header.
 *
 * @param token the demo reviewer's token, or null when the configuration brings its own reviewers
 */
public record DemoReview(ReviewServer server, String reviewer, String token, boolean tls) {

    public static DemoReview start(Vertx vertx, Settings settings, ServiceConfig config) throws Exception {
        ServiceConfig.TopicsConfig t = config.topics();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", config.kafka().bootstrapServers()))) {
            new Topics(t.cbc(), t.captures(), t.cellResults(), t.blastAlerts(), t.diagnosticScores(), t.deadLetters(),
                    t.alertReviews()).ensureTopics(admin, t.partitions(), Replication.forCluster(admin, t.replicationFactor(), 30_000));
        }
        String reviewer = "demo";
        String token = null;
        Map<String, String> demo = new HashMap<>();
        if (settings.stringOrNull("review.reviewersFile") == null && settings.stringOrNull("review.identityHeader") == null) {
            token = Reviewers.newToken();
            Path file = Files.createTempFile("hemastream-demo-reviewers", ".txt");
            file.toFile().deleteOnExit();
            Files.writeString(file, Reviewers.fileLine(reviewer, token) + "\n");
            demo.put("review.reviewersFile", file.toString());
        }
        // like the demo's other HTTP: on this machine only, and on a free port when the default one is taken
        String host = settings.source("review.host").equals("default") ? "127.0.0.1" : settings.string("review.host");
        demo.put("review.host", host);
        if (settings.source("review.port").equals("default") && !DemoCommand.portFree(host, settings.integer("review.port", 0, 65535))) {
            demo.put("review.port", "0");
        }
        ReviewConfig rc = ReviewConfig.from(settings.with(demo)).withBootstrap(config.kafka().bootstrapServers());
        ReviewServer server = ReviewServer.start(vertx, rc).await(60, TimeUnit.SECONDS);
        server.caughtUp().await(60, TimeUnit.SECONDS);
        return new DemoReview(server, token == null ? "a reviewer of review.reviewersFile" : reviewer, token, rc.http().tls());
    }

    /** Where a browser on this machine reaches the page. */
    public String baseUrl() {
        return (tls ? "https" : "http") + "://127.0.0.1:" + server.port();
    }

    public void stop() throws Exception {
        server.stop().await(20, TimeUnit.SECONDS);
    }
}
