package org.hemastream.inference;

/**
 * The cell model does not honour the {@code cell-classifier/1} metadata contract: a key is missing, is
 * not valid JSON, or disagrees with the model's graph. {@link #key()} names the offending metadata key so
 * an operator knows what to fix; thrown at start-up, never per cell.
 */
public final class InvalidModelMetadataException extends RuntimeException {

    private final String key;

    public InvalidModelMetadataException(String key, String problem) {
        super("cell model metadata '" + key + "': " + problem);
        this.key = key;
    }

    public InvalidModelMetadataException(String key, String problem, Throwable cause) {
        super("cell model metadata '" + key + "': " + problem, cause);
        this.key = key;
    }

    /** The metadata key at fault, e.g. {@code hemastream.normalization}. */
    public String key() {
        return key;
    }
}
