package org.hemastream.inference;

/**
 * Bounds on an incoming cell image, checked before any pixel is allocated.
 *
 * @param maxBytes  largest accepted encoded size, in bytes (checked first)
 * @param maxPixels largest accepted width x height, read from the image header before decoding, so a
 *                  small file declaring a huge image (a decompression bomb) is refused without allocating
 */
public record ImageLimits(long maxBytes, long maxPixels) {

    /** 2 MiB encoded, 2048 x 2048 pixels: far above a CellaVision crop (360 x 363, ~30 KB). */
    public static final ImageLimits DEFAULT = new ImageLimits(2L * 1024 * 1024, 2048L * 2048);

    public ImageLimits {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be >= 1, was " + maxBytes);
        }
        if (maxPixels < 1) {
            throw new IllegalArgumentException("maxPixels must be >= 1, was " + maxPixels);
        }
    }
}
