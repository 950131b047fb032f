package org.hemastream.inference;

/**
 * An 8-bit RGB image in memory: {@code width * height} pixels, row by row, each packed as
 * {@code 0xRRGGBB} (any alpha byte is ignored).
 *
 * <p>The pixel array is not copied, for speed: treat it as read-only once the image is built. Instances
 * are then safe to share between threads.
 *
 * @param width  pixels per row, &gt;= 1
 * @param height rows, &gt;= 1
 * @param rgb    packed pixels, length {@code width * height}
 */
public record DecodedImage(int width, int height, int[] rgb) {

    public DecodedImage {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("image size must be >= 1x1, was " + width + "x" + height);
        }
        if (rgb == null || rgb.length != (long) width * height) {
            throw new IllegalArgumentException("rgb must hold width*height = " + (long) width * height + " pixels");
        }
    }

    /** The packed {@code 0xRRGGBB} pixel at column {@code x}, row {@code y}. */
    public int pixel(int x, int y) {
        return rgb[y * width + x] & 0xFFFFFF;
    }
}
