package org.hemastream.inference;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * A lab's calibration of one cell model, written by {@code calibrate-cells} and loaded beside the model
 * ({@code inference.siteProfile}): the blast threshold for the lab's target specificity and, when the lab's
 * cells named slides, the per-slide alert rule. Bound to the exact model it was fitted on by the model
 * file's SHA-256 — a profile for another model is refused at start-up — and it records where it came from
 * (parent model, site data with its hash, held-out metrics before and after) so an auditor can trace it.
 *
 * <p>Immutable. The JSON is kept whole ({@link #json()}); the fields the service uses are validated on read.
 *
 * @param parentModelVersion the model's {@code hemastream.model_version}
 * @param parentModelSha256  SHA-256 of the model file (hex)
 * @param blastThreshold     P(blast) at or above which a cell is flagged at this site
 * @param slideRule          the slide alert rule (the model's own when the site data named no slides)
 * @param json               the whole profile
 */
public record SiteProfile(String parentModelVersion, String parentModelSha256, double blastThreshold,
                          CellModelMetadata.SlideAlertRule slideRule, JsonObject json) {

    /** Format name in every profile. */
    public static final String FORMAT = "hemastream-site-profile/1";
    /** The configuration key of the profile's path. */
    public static final String KEY = "inference.siteProfile";

    /** Reads and validates a profile file. */
    public static SiteProfile read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        JsonObject o;
        try {
            o = new JsonObject(text);
        } catch (DecodeException e) {
            throw new IllegalArgumentException(KEY + ": " + file + " is not a JSON object: " + e.getMessage(), e);
        }
        return fromJson(o, file.toString());
    }

    /** Validates a profile's JSON; {@code where} names it in messages. */
    public static SiteProfile fromJson(JsonObject o, String where) {
        if (!FORMAT.equals(o.getString("format"))) {
            throw new IllegalArgumentException(KEY + ": " + where + " is not a site profile (format must be '"
                    + FORMAT + "', was '" + o.getValue("format") + "')");
        }
        JsonObject parent = o.getJsonObject("parentModel");
        String version = parent == null ? null : parent.getString("version");
        String sha = parent == null ? null : parent.getString("sha256");
        if (version == null || sha == null || !sha.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException(KEY + ": " + where + " lacks parentModel.version and a hex parentModel.sha256");
        }
        Object t = o.getValue("blastThreshold");
        if (!(t instanceof Number n) || !(n.doubleValue() >= 0 && n.doubleValue() <= 1)) {
            throw new IllegalArgumentException(KEY + ": " + where + " blastThreshold must be a probability, was " + t);
        }
        JsonObject site = o.getJsonObject("siteData", new JsonObject());
        String origin = "site profile " + where + " (calibrated " + o.getString("createdAt", "?") + " on "
                + site.getValue("cells", "?") + " cells, " + site.getValue("blasts", "?") + " blasts)";
        JsonObject r = o.getJsonObject("slideAlertRule");
        CellModelMetadata.SlideAlertRule rule = null;
        if (r != null) {
            try {
                rule = new CellModelMetadata.SlideAlertRule(r.getInteger("minBlastCells", 0),
                        r.getDouble("minBlastFraction", 0.0), origin + ", " + r.getString("chosenOn", "slide rule"),
                        r.encode());
            } catch (IllegalArgumentException | ClassCastException e) {
                throw new IllegalArgumentException(KEY + ": " + where + " slideAlertRule: " + e.getMessage(), e);
            }
        }
        return new SiteProfile(version, sha, n.doubleValue(), rule, o.copy());
    }

    /**
     * The model's metadata with this profile applied.
     *
     * @param modelSha256 SHA-256 of the loaded model file
     * @throws IllegalArgumentException when the profile was fitted on another model
     */
    public CellModelMetadata applyTo(CellModelMetadata metadata, String modelSha256) {
        if (!parentModelSha256.equalsIgnoreCase(modelSha256)) {
            throw new IllegalArgumentException(KEY + ": the site profile was calibrated for model " + parentModelVersion
                    + " with SHA-256 " + parentModelSha256 + ", but the loaded model " + metadata.modelVersion()
                    + " has SHA-256 " + modelSha256 + ". Run calibrate-cells again for this model, or load the model"
                    + " it was made for.");
        }
        CellModelMetadata.SlideAlertRule rule = slideRule != null ? slideRule
                : new CellModelMetadata.SlideAlertRule(metadata.slideAlertRule().minBlastCells(),
                metadata.slideAlertRule().minBlastFraction(), metadata.slideAlertRule().origin()
                + "; the site profile names no slide rule", metadata.slideAlertRule().evidence());
        return metadata.withBlastCalibration(blastThreshold, rule);
    }

    /** Writes a profile as pretty JSON. */
    public static void write(JsonObject profile, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, profile.encodePrettily() + "\n", StandardCharsets.UTF_8);
    }

    /** When it was made, as recorded. */
    public Instant createdAt() {
        return Instant.parse(json.getString("createdAt"));
    }
}
