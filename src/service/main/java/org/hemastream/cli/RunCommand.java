package org.hemastream.cli;

import io.vertx.core.Vertx;
import org.hemastream.HemastreamService;
import org.hemastream.config.ConfigException;
import org.hemastream.config.Defaults;
import org.hemastream.config.ServiceConfig;
import org.hemastream.config.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** {@code hemastream run}: the streaming service against any Kafka cluster, until SIGTERM. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the streaming service: consume the analyzer line's topics, publish cell results, "
                + "blast alerts and dead letters. Kafka client settings (TLS, SASL) pass through as kafka.* keys.",
        footer = "%n${hemastream.config.table}")
public final class RunCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    static {
        System.setProperty("hemastream.config.table", Defaults.table());
    }

    @Mixin
    ConfigOptions options;

    @Override
    public Integer call() throws Exception {
        ServiceConfig config;
        try {
            Settings settings = options.settings();
            config = ServiceConfig.from(settings).requireBootstrap();
            log.info("Kafka client settings: {}", settings.describeKafka());
        } catch (ConfigException e) {
            System.err.println("hemastream: " + e.getMessage());
            return 2;
        }
        Vertx vertx = Vertx.vertx();
        HemastreamService service;
        try {
            service = HemastreamService.launch(vertx, config).await(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("hemastream: start-up failed: " + StartupFailure.oneLine(e));
            vertx.close().await(10, TimeUnit.SECONDS);
            return 1;
        }
        // Runs until SIGTERM, or until Kafka says something retrying cannot fix; an unreachable Kafka is retried.
        CountDownLatch finished = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean terminating = new AtomicBoolean();
        service.connected().onFailure(e -> {
            if (!terminating.get()) {
                failure.set(e);
                finished.countDown();
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            terminating.set(true);
            log.info("stopping: committing safe offsets");
            stop(service, vertx);
            finished.countDown();
        }, "hemastream-shutdown"));
        finished.await();
        if (failure.get() != null) {
            System.err.println("hemastream: start-up failed: " + StartupFailure.oneLine(failure.get()));
            stop(service, vertx);
            return 1;
        }
        return 0;
    }

    private static void stop(HemastreamService service, Vertx vertx) {
        try {
            service.stop().await(30, TimeUnit.SECONDS);
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("unclean stop: {}", e.toString());
        }
    }
}
