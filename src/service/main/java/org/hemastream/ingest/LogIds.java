package org.hemastream.ingest;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * How identifiers appear in logs: never as such (a specimen ID or a record key can be a patient's name or
 * medical record number), but as a keyed hash — HMAC-SHA256 under a key drawn at start-up, 12 hex digits —
 * so an operator can follow one specimen through one process's log lines without the log revealing it.
 */
public final class LogIds {

    private static final byte[] KEY = new byte[32];

    static {
        new SecureRandom().nextBytes(KEY);
    }

    private LogIds() {
    }

    /** {@code id:3f9a…} for an identifier, {@code id:-} for null. */
    public static String of(String identifier) {
        if (identifier == null) {
            return "id:-";
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
            byte[] h = mac.doFinal(identifier.getBytes(StandardCharsets.UTF_8));
            return "id:" + HexFormat.of().formatHex(h, 0, 6);
        } catch (GeneralSecurityException e) {
            return "id:?";
        }
    }
}
