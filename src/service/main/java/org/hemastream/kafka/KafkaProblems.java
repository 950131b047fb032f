package org.hemastream.kafka;

import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RetriableException;

import java.util.concurrent.TimeoutException;

/**
 * What went wrong talking to Kafka, in one line for an operator, and whether waiting can fix it: a cluster
 * that does not answer (down, starting, its DNS name not there yet) may answer later; a refused login, a
 * missing permission or topics that contradict the configuration will not.
 */
public final class KafkaProblems {

    private KafkaProblems() {
    }

    /** Whether retrying later can succeed. */
    public static boolean retriable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof AuthenticationException || t instanceof AuthorizationException) {
                return false;
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TimeoutException || t instanceof RetriableException || unresolvable(t)) {
                return true;
            }
        }
        return false;
    }

    /** The most telling message in the chain, without exception class names. */
    public static String describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof AuthenticationException) {
                return "authentication refused (" + t.getMessage() + "); check kafka.sasl.* and kafka.ssl.*";
            }
            if (t instanceof AuthorizationException) {
                return "not authorised (" + t.getMessage() + "); the principal needs the ACLs the README lists";
            }
            if (unresolvable(t)) {
                return "none of the bootstrap servers resolves to an address";
            }
            if (t instanceof TimeoutException || t instanceof org.apache.kafka.common.errors.TimeoutException) {
                return "no answer in time";
            }
            if (t instanceof org.apache.kafka.common.config.ConfigException) {
                return "Kafka client configuration: " + t.getMessage();
            }
        }
        return String.valueOf(e.getMessage());
    }

    private static boolean unresolvable(Throwable t) {
        return String.valueOf(t.getMessage()).contains("No resolvable bootstrap urls");
    }
}
