package org.hemastream.config;

/** A configuration value that stops start-up; the message names the key, the value and what is allowed. */
public final class ConfigException extends RuntimeException {

    private final String key;

    public ConfigException(String key, String message) {
        super("config " + key + ": " + message);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
