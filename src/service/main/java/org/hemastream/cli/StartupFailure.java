package org.hemastream.cli;

import org.hemastream.config.ConfigException;

/**
 * The one line a command prints when start-up fails for an expected reason (a port taken, Kafka refusing the
 * login, a model file missing …): the message that names the key or the address, not a stack trace.
 */
public final class StartupFailure {

    private StartupFailure() {
    }

    /** A {@link ConfigException}'s message if one is in the chain, else the outermost message that says something. */
    public static String oneLine(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConfigException) {
                return t.getMessage();
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage().lines().findFirst().orElse(t.toString());
            }
        }
        return e.toString();
    }
}
