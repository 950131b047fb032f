package org.hemastream.inference;

import java.util.Locale;

/**
 * Where ONNX Runtime runs the cell model. {@code CUDA} needs the GPU build of ONNX Runtime (Maven profile
 * {@code -Pgpu}) and a CUDA device; {@code AUTO} tries CUDA and falls back to the CPU with one log line.
 */
public enum ExecutionProvider {
    CPU, CUDA, AUTO;

    /**
     * Parses {@code cpu|cuda|auto}, any case.
     *
     * @param key   the configuration key the value came from, named in the error message
     * @param value the configured text
     */
    public static ExecutionProvider parse(String key, String value) {
        if (value != null) {
            for (ExecutionProvider p : values()) {
                if (p.name().equalsIgnoreCase(value.strip())) {
                    return p;
                }
            }
        }
        throw new IllegalArgumentException(key + " must be one of cpu, cuda, auto; was '" + value + "'");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
