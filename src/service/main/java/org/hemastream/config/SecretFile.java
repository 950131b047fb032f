package org.hemastream.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A secret kept in a file (a Kubernetes Secret mounted as a volume, a file only the service's user can read):
 * the HTTP bearer token, the key of the log pseudonyms. Read at start-up; a missing, empty or too short file
 * stops start-up with a message naming the key — never the content.
 */
public final class SecretFile {

    /** A bearer token shorter than this is too easy to guess. */
    public static final int MIN_TOKEN_BYTES = 16;
    /** An HMAC-SHA256 key shorter than this is too easy to guess. */
    public static final int MIN_KEY_BYTES = 16;

    private SecretFile() {
    }

    /**
     * The file's bytes without one trailing line break ({@code echo token > file} and a Secret created from a
     * literal give the same secret).
     *
     * @param key the configuration key that names the file, for the error message
     */
    public static byte[] read(Path file, String key, int minBytes) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException(key, "cannot read " + file + ": " + e.getMessage());
        }
        int end = bytes.length;
        if (end > 0 && bytes[end - 1] == '\n') {
            end--;
            if (end > 0 && bytes[end - 1] == '\r') {
                end--;
            }
        }
        if (end < minBytes) {
            throw new ConfigException(key, "file " + file + " holds " + end + " bytes; at least " + minBytes + " are needed");
        }
        return Arrays.copyOf(bytes, end);
    }
}
