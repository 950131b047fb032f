package org.hemastream.review;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Who is making a review decision. Two ways, either or both configured, never anonymous:
 *
 * <ul>
 *   <li>a <b>reviewers file</b> ({@code review.reviewersFile}): lines {@code name sha256:<hex>}, the SHA-256 of
 *       the reviewer's token. The browser sends name and token with HTTP Basic. Tokens are generated
 *       ({@link #newToken()}, 128 random bits), never chosen by people, so one unsalted SHA-256 is enough: there
 *       is nothing to guess. Use TLS in front (the token crosses the wire on every request);</li>
 *   <li>an <b>identity header</b> ({@code review.identityHeader}) set by a reverse proxy that authenticated the
 *       user (SSO): honoured only when configured, and only safe when the proxy is the only way in and drops the
 *       header from clients.</li>
 * </ul>
 *
 * <p>TLS (which the token needs) comes, as for every HTTP server of the service, from
 * {@link org.hemastream.observability.HttpAccess} ({@code http.tls.*}). Deliberately minimal: no roles, no
 * sessions. Thread-safe (immutable).
 */
public final class Reviewers {

    private static final Pattern NAME = Pattern.compile("[\\p{L}\\p{N} ._@'-]{1,100}");

    /** An authenticated reviewer and how they were recognised ({@code reviewers-file} or {@code identity-header}). */
    public record Reviewer(String name, String authenticatedBy) {
    }

    private final Map<String, byte[]> tokenHashes;
    private final String identityHeader;

    Reviewers(Map<String, byte[]> tokenHashes, String identityHeader) {
        this.tokenHashes = Map.copyOf(tokenHashes);
        this.identityHeader = identityHeader;
    }

    /** Reads the reviewers file (when configured); a bad line stops start-up naming the line. */
    public static Reviewers load(ReviewConfig config) {
        Map<String, byte[]> hashes = new LinkedHashMap<>();
        if (config.reviewersFile() != null) {
            List<String> lines;
            try {
                lines = Files.readAllLines(config.reviewersFile(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new org.hemastream.config.ConfigException("review.reviewersFile", "cannot read "
                        + config.reviewersFile() + ": " + e.getMessage());
            }
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int space = line.lastIndexOf(' ');
                String name = space < 0 ? "" : line.substring(0, space).strip();
                String hash = space < 0 ? line : line.substring(space + 1);
                if (!NAME.matcher(name).matches() || !hash.matches("sha256:[0-9a-f]{64}")) {
                    throw new org.hemastream.config.ConfigException("review.reviewersFile", config.reviewersFile() + " line "
                            + (i + 1) + ": expected 'name sha256:<64 hex digits>' (review --new-reviewer NAME prints one)");
                }
                hashes.put(name, HexFormat.of().parseHex(hash.substring("sha256:".length())));
            }
        }
        return new Reviewers(hashes, config.identityHeader());
    }

    /**
     * The reviewer behind a request, or empty when it names none (or a wrong token).
     *
     * @param header the request's header values by name (case-insensitive lookup is the caller's)
     */
    public Optional<Reviewer> identify(Function<String, String> header) {
        if (identityHeader != null) {
            String name = header.apply(identityHeader);
            if (name != null && NAME.matcher(name.strip()).matches()) {
                return Optional.of(new Reviewer(name.strip(), "identity-header"));
            }
        }
        String authorization = header.apply("Authorization");
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6) || tokenHashes.isEmpty()) {
            return Optional.empty();
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).strip()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            return Optional.empty();
        }
        String name = decoded.substring(0, colon);
        byte[] expected = tokenHashes.get(name);
        byte[] given = sha256(decoded.substring(colon + 1));
        return expected != null && MessageDigest.isEqual(expected, given)
                ? Optional.of(new Reviewer(name, "reviewers-file")) : Optional.empty();
    }

    /** Whether HTTP Basic is offered (a reviewers file is configured): the page then asks the browser for it. */
    public boolean offersBasic() {
        return !tokenHashes.isEmpty();
    }

    /** A new random token (128 bits, URL-safe base64). */
    public static String newToken() {
        byte[] bytes = new byte[16];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The reviewers-file line of a reviewer with this token. */
    public static String fileLine(String name, String token) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a reviewer name is 1-100 letters, digits, spaces or ._@'- , was '" + name + "'");
        }
        return name + " sha256:" + HexFormat.of().formatHex(sha256(token));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
