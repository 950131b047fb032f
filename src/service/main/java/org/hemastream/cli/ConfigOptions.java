package org.hemastream.cli;

import org.hemastream.config.ServiceConfig;
import org.hemastream.config.Settings;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The configuration options every service command shares: {@code --config FILE}, {@code --set key=value}
 * and {@code --bootstrap-servers}. Precedence: defaults &lt; file &lt; environment &lt; flags.
 */
public final class ConfigOptions {

    @Option(names = "--config", paramLabel = "FILE", description = "Java properties file with configuration keys")
    Path configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override one configuration key (repeatable)")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,…]",
            description = "Kafka bootstrap servers (else KAFKA_BOOTSTRAP_SERVERS or kafka.bootstrap.servers)")
    String bootstrapServers;

    /** The layered settings; throws {@link org.hemastream.config.ConfigException} naming a bad key. */
    public Settings settings() {
        Map<String, String> flags = new LinkedHashMap<>(overrides);
        if (bootstrapServers != null) {
            flags.put("kafka.bootstrap.servers", bootstrapServers);
        }
        return Settings.load(configFile, System.getenv(), flags);
    }

    public ServiceConfig serviceConfig() {
        return ServiceConfig.from(settings());
    }
}
