package org.hemastream.cli;

import io.vertx.core.Vertx;
import org.hemastream.HemastreamService;
import org.hemastream.config.ConfigException;
import org.hemastream.config.Defaults;
import org.hemastream.config.ServiceConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

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
            config = options.serviceConfig().requireBootstrap();
        } catch (ConfigException e) {
            System.err.println("hemastream: " + e.getMessage());
            return 2;
        }
        Vertx vertx = Vertx.vertx();
        HemastreamService service;
        try {
            service = HemastreamService.start(vertx, config).await(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("hemastream: start-up failed: " + e.getMessage());
            vertx.close().await(10, TimeUnit.SECONDS);
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping: committing safe offsets");
            try {
                service.stop().await(30, TimeUnit.SECONDS);
                vertx.close().await(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("unclean stop: {}", e.toString());
            }
            stopped.countDown();
        }, "hemastream-shutdown"));
        stopped.await();
        return 0;
    }
}
