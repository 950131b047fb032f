package org.hemastream.inference;

/**
 * An image that will not be classified, with a machine-readable {@link Reason} (for dead letters and
 * metrics) and a message for people. Checked: every caller must decide what a bad image means for its
 * specimen. Messages never contain image bytes.
 */
public final class ImageRejectedException extends Exception {

    /** Why an image was refused; stable names, safe to use as metric labels. */
    public enum Reason {
        /** No bytes at all. */
        EMPTY,
        /** More encoded bytes than {@link ImageLimits#maxBytes()}. */
        TOO_MANY_BYTES,
        /** Neither a JPEG nor a PNG signature. */
        NOT_AN_IMAGE,
        /** The header declares more pixels than {@link ImageLimits#maxPixels()}. */
        TOO_MANY_PIXELS,
        /** A JPEG or PNG signature, but the data is truncated, inconsistent or undecodable. */
        CORRUPT
    }

    private final Reason reason;

    public ImageRejectedException(Reason reason, String message) {
        super(reason + ": " + message);
        this.reason = reason;
    }

    public ImageRejectedException(Reason reason, String message, Throwable cause) {
        super(reason + ": " + message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
