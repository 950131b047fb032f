package org.hemastream.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Flat configuration keys ({@code inference.maxBatch}, {@code kafka.security.protocol}, …) layered the
 * twelve-factor way: defaults &lt; {@code --config} file (Java properties) &lt; environment
 * ({@code HEMASTREAM_INFERENCE_MAX_BATCH}; {@code KAFKA_BOOTSTRAP_SERVERS} for the bootstrap servers; any
 * {@code HEMASTREAM_KAFKA_X_Y} for the Kafka client key {@code kafka.x.y}) &lt; command-line flags
 * ({@code --set key=value}). Unknown keys are refused, except under {@code kafka.} which pass straight
 * through to the Kafka clients — with Kafka's config providers ({@code kafka.config.providers}), so secrets can
 * stay in files or the environment and never be on the command line. Immutable.
 */
public final class Settings {

    private final Map<String, String> values;
    private final Map<String, String> sources;

    private Settings(Map<String, String> values, Map<String, String> sources) {
        this.values = Map.copyOf(values);
        this.sources = Map.copyOf(sources);
    }

    /**
     * Layers the sources over {@link Defaults#VALUES}.
     *
     * @param file  a properties file, or null
     * @param env   the process environment
     * @param flags {@code key=value} overrides from the command line
     */
    public static Settings load(Path file, Map<String, String> env, Map<String, String> flags) {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> sources = new LinkedHashMap<>();
        Defaults.VALUES.forEach((k, v) -> put(values, sources, k, v, "default"));
        if (file != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            } catch (IOException e) {
                throw new ConfigException("--config", "cannot read " + file + ": " + e.getMessage());
            }
            for (String k : p.stringPropertyNames()) {
                put(values, sources, checkKnown(k, "file " + file), p.getProperty(k).trim(), "file");
            }
        }
        for (String k : Defaults.VALUES.keySet()) {
            String v = env.get(envName(k));
            if (v != null) {
                put(values, sources, k, v.trim(), "env " + envName(k));
            }
        }
        new TreeMap<>(env).forEach((name, v) -> {
            String k = kafkaKeyOf(name);
            if (k != null && !Defaults.VALUES.containsKey(k)) {
                put(values, sources, k, v.trim(), "env " + name);
            }
        });
        String bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS");
        if (bootstrap != null && !env.containsKey(envName("kafka.bootstrap.servers"))) {
            put(values, sources, "kafka.bootstrap.servers", bootstrap.trim(), "env KAFKA_BOOTSTRAP_SERVERS");
        }
        flags.forEach((k, v) -> put(values, sources, checkKnown(k, "flag"), v.trim(), "flag"));
        return new Settings(values, sources);
    }

    /** Just the defaults (tests, help). */
    public static Settings defaults() {
        return load(null, Map.of(), Map.of());
    }

    /** A copy with some keys replaced (tests, the demo). */
    public Settings with(Map<String, String> overrides) {
        Map<String, String> v = new LinkedHashMap<>(values);
        Map<String, String> s = new LinkedHashMap<>(sources);
        overrides.forEach((k, val) -> put(v, s, checkKnown(k, "override"), val, "override"));
        return new Settings(v, s);
    }

    /** The environment variable that sets a key: {@code inference.maxBatch} → {@code HEMASTREAM_INFERENCE_MAX_BATCH}. */
    public static String envName(String key) {
        return "HEMASTREAM_" + key.replaceAll("([a-z0-9])([A-Z])", "$1_$2").replace('.', '_').replace('-', '_')
                .toUpperCase(Locale.ROOT);
    }

    /**
     * The {@code kafka.*} key an environment variable sets, or null: {@code HEMASTREAM_KAFKA_SASL_JAAS_CONFIG} →
     * {@code kafka.sasl.jaas.config}. Kafka's client keys are lower case and dot-separated, so the mapping is
     * the reverse of {@link #envName}.
     */
    static String kafkaKeyOf(String envName) {
        String prefix = "HEMASTREAM_KAFKA_";
        if (!envName.startsWith(prefix) || envName.length() == prefix.length()) {
            return null;
        }
        return "kafka." + envName.substring(prefix.length()).toLowerCase(Locale.ROOT).replace('_', '.');
    }

    /**
     * The Kafka client settings with where each came from, for the start-up log: values of keys that may hold a
     * secret ({@link #secret}) are shown as {@code [hidden]}, so a password never reaches a log line.
     */
    public String describeKafka() {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(values).forEach((k, v) -> {
            if (k.startsWith("kafka.") && v != null && !v.isBlank()) {
                sb.append(sb.length() == 0 ? "" : ", ").append(k).append('=')
                        .append(secret(k) && !v.startsWith("${") ? "[hidden]" : v)
                        .append(" (").append(source(k)).append(')');
            }
        });
        return sb.toString();
    }

    /**
     * Whether a Kafka client key may hold a secret: passwords, JAAS configurations (they carry the SASL password),
     * keys and tokens. A config-provider reference ({@code ${file:…}}) names where the secret is, not the secret.
     */
    public static boolean secret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("jaas") || k.contains("secret") || k.contains("token")
                || k.endsWith(".key") || k.contains("credentials");
    }

    public String string(String key) {
        String v = values.get(key);
        if (v == null || v.isBlank()) {
            throw new ConfigException(key, "is required but not set");
        }
        return v;
    }

    public String stringOrNull(String key) {
        String v = values.get(key);
        return v == null || v.isBlank() ? null : v;
    }

    public int integer(String key, int min, int max) {
        String v = string(key);
        try {
            int i = Integer.parseInt(v);
            if (i < min || i > max) {
                throw new ConfigException(key, "must be between " + min + " and " + max + ", was " + i + where(key));
            }
            return i;
        } catch (NumberFormatException e) {
            throw new ConfigException(key, "must be an integer, was '" + v + "'" + where(key));
        }
    }

    public double decimal(String key, double min, double max) {
        String v = string(key);
        try {
            double d = Double.parseDouble(v);
            if (!(d >= min && d <= max)) {
                throw new ConfigException(key, "must be between " + min + " and " + max + ", was " + v + where(key));
            }
            return d;
        } catch (NumberFormatException e) {
            throw new ConfigException(key, "must be a number, was '" + v + "'" + where(key));
        }
    }

    /** A duration in milliseconds (keys end in {@code Millis}). */
    public Duration millis(String key, long min, long max) {
        String v = string(key);
        try {
            long ms = Long.parseLong(v);
            if (ms < min || ms > max) {
                throw new ConfigException(key, "must be between " + min + " and " + max + " ms, was " + ms + where(key));
            }
            return Duration.ofMillis(ms);
        } catch (NumberFormatException e) {
            throw new ConfigException(key, "must be a whole number of milliseconds, was '" + v + "'" + where(key));
        }
    }

    public <E extends Enum<E>> E choice(String key, Class<E> type) {
        String v = string(key);
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(v)) {
                return e;
            }
        }
        throw new ConfigException(key, "must be one of " + java.util.Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT)).toList() + ", was '" + v + "'" + where(key));
    }

    /** Every {@code kafka.*} key without the prefix: settings for the Kafka clients (TLS, SASL, …). */
    public Map<String, String> kafkaClientSettings() {
        Map<String, String> out = new TreeMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith("kafka.") && v != null && !v.isBlank()) {
                out.put(k.substring("kafka.".length()), v);
            }
        });
        return out;
    }

    /** Where a key's value came from (default, file, env …, flag). */
    public String source(String key) {
        return sources.getOrDefault(key, "unset");
    }

    private String where(String key) {
        return " (from " + source(key) + ")";
    }

    private static String checkKnown(String key, String origin) {
        if (!Defaults.VALUES.containsKey(key) && !key.startsWith("kafka.")) {
            throw new ConfigException(key, "unknown key (from " + origin + "); known keys: see --help");
        }
        return key;
    }

    private static void put(Map<String, String> values, Map<String, String> sources, String k, String v, String source) {
        values.put(k, v);
        sources.put(k, source);
    }
}
