package org.hemastream.review;

import io.vertx.core.Vertx;
import org.hemastream.cli.ConfigOptions;
import org.hemastream.config.ConfigException;
import org.hemastream.config.Defaults;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code hemastream review}: the review page blast alerts link to (one replica; see {@link ReviewServer}), until
 * SIGTERM. {@code --new-reviewer NAME} prints a new token and the reviewers-file line for it instead.
 */
@Command(name = "review", mixinStandardHelpOptions = true,
        description = "Serve the review page of blast alerts: hematologists see the flagged cells, confirm or reject, "
                + "and every decision goes to the reviews topic (hema.alert-reviews).",
        footer = "%n${hemastream.config.table}")
public final class ReviewCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ReviewCommand.class);

    static {
        System.setProperty("hemastream.config.table", Defaults.table());
    }

    @Mixin
    ConfigOptions options;

    @Option(names = "--new-reviewer", paramLabel = "NAME",
            description = "print a new random token for NAME (on standard error) and the line to append to the "
                    + "review.reviewersFile (on standard output), then exit")
    String newReviewer;

    @Override
    public Integer call() throws Exception {
        if (newReviewer != null) {
            String token = Reviewers.newToken();
            // the line on standard output, so that "review --new-reviewer NAME >> reviewers" appends only it
            System.err.println("token for " + newReviewer + " (give it to them; it is not stored): " + token);
            System.out.println(Reviewers.fileLine(newReviewer, token));
            return 0;
        }
        ReviewConfig config;
        try {
            config = ReviewConfig.from(options.settings()).requireBootstrap();
        } catch (ConfigException e) {
            System.err.println("hemastream: " + e.getMessage());
            return 2;
        }
        Vertx vertx = Vertx.vertx();
        ReviewServer server;
        try {
            server = ReviewServer.start(vertx, config).await(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("hemastream: review server start-up failed: " + e.getMessage());
            vertx.close().await(10, TimeUnit.SECONDS);
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.stop().await(20, TimeUnit.SECONDS);
                vertx.close().await(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("unclean stop: {}", e.toString());
            }
            stopped.countDown();
        }, "hemastream-review-shutdown"));
        stopped.await();
        return 0;
    }
}
