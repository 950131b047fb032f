package org.hemastream.ingest;

import org.hemastream.config.SecretFile;
import org.hemastream.config.ServiceConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * How identifiers appear in logs ({@code logging.specimenIds}). A specimen ID or a record key can be a
 * patient's name or medical record number, so by default it is logged as a keyed hash — HMAC-SHA256, 12 hex
 * digits — that lets an operator follow one specimen through the log lines without the log revealing it. With
 * the same key ({@code logging.pseudonymKeyFile}) on every instance, a specimen has the same pseudonym
 * everywhere and after restarts; whoever holds the key can check a suspected ID against the log, nobody else.
 * {@code plain} logs the IDs themselves (only their safe characters: a bad ID cannot forge log lines).
 * Output topics always carry the real IDs — they are the lab's data, not logs. Immutable, thread-safe.
 */
public final class LogIds {

    private static final Logger log = LoggerFactory.getLogger(LogIds.class);
    private static final int PLAIN_MAX_CHARS = 64;

    /** The HMAC key; null = plain IDs. */
    private final byte[] key;

    private LogIds(byte[] key) {
        this.key = key;
    }

    /** The IDs as they are. */
    public static LogIds plain() {
        return new LogIds(null);
    }

    /** Pseudonyms under this HMAC key. */
    public static LogIds pseudonymised(byte[] key) {
        return new LogIds(key.clone());
    }

    /** As configured; without a key file, a random key for this process and a warning that says what that means. */
    public static LogIds from(ServiceConfig.LoggingConfig config) {
        if (config.specimenIds() == ServiceConfig.SpecimenIdLogging.PLAIN) {
            log.info("logging.specimenIds=plain: log lines name specimens by their IDs");
            return plain();
        }
        if (config.pseudonymKeyFile() != null) {
            log.info("log lines name specimens by pseudonyms keyed from {}", config.pseudonymKeyFile());
            return pseudonymised(SecretFile.read(config.pseudonymKeyFile(), "logging.pseudonymKeyFile",
                    SecretFile.MIN_KEY_BYTES));
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        log.warn("log lines name specimens by pseudonyms under a random key of this process: the same specimen gets "
                + "another pseudonym after a restart and on other instances; set logging.pseudonymKeyFile to correlate them");
        return new LogIds(random);
    }

    /** {@code id:3f9a…} (pseudonymised) or the ID (plain) for an identifier, {@code id:-} for null. */
    public String of(String identifier) {
        if (identifier == null) {
            return "id:-";
        }
        if (key == null) {
            return plain(identifier);
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] h = mac.doFinal(identifier.getBytes(StandardCharsets.UTF_8));
            return "id:" + HexFormat.of().formatHex(h, 0, 6);
        } catch (GeneralSecurityException e) {
            return "id:?";
        }
    }

    private static String plain(String identifier) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < identifier.length() && i < PLAIN_MAX_CHARS; i++) {
            char c = identifier.charAt(i);
            boolean safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.'
                    || c == '_' || c == '-';
            sb.append(safe ? c : '?');
        }
        return identifier.length() > PLAIN_MAX_CHARS ? sb.append('…').toString() : sb.toString();
    }
}
