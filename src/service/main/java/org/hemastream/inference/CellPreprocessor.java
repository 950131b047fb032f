package org.hemastream.inference;

import java.awt.image.BufferedImage;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Objects;

/**
 * Brings decoded images to the model's input: size (centre-crop to a square of the shorter side, then
 * bilinear resampling to width x height) and values (per-channel normalisation into NCHW floats), all
 * taken from {@link CellModelMetadata}.
 *
 * <p>An image that already has the model's size passes through untouched, so the values are exactly
 * those the Python training code computes. Resampling follows PIL's {@code Image.resize(BILINEAR)}
 * (triangle filter whose support widens with the downscale factor, 8-bit fixed-point arithmetic, one
 * horizontal then one vertical pass), so resized images match PIL to within one grey level.
 *
 * <p>Immutable and thread-safe; allocates only the resized image.
 */
public final class CellPreprocessor {

    /** PIL's fixed-point precision for 8-bit resampling (32 - 8 - 2). */
    private static final int PRECISION_BITS = 22;

    private final int width;
    private final int height;
    private final boolean rgbOrder;
    /** Tensor value per channel (in tensor order) and 8-bit pixel value. */
    private final float[][] lut = new float[3][256];

    public CellPreprocessor(CellModelMetadata metadata) {
        Objects.requireNonNull(metadata, "metadata");
        this.width = metadata.input().width();
        this.height = metadata.input().height();
        this.rgbOrder = metadata.input().rgbOrder();
        CellModelMetadata.Normalization n = metadata.normalization();
        List<Double> mean = n.mean();
        List<Double> std = n.std();
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < 256; p++) {
                lut[c][p] = (float) ((p * n.scale() - mean.get(c)) / std.get(c));
            }
        }
    }

    /** Input width, pixels. */
    public int width() {
        return width;
    }

    /** Input height, pixels. */
    public int height() {
        return height;
    }

    /** Floats one image occupies in the input tensor: 3 x height x width. */
    public int valuesPerImage() {
        return 3 * width * height;
    }

    /**
     * The image at the model's size: the same instance when it already has it, otherwise the centred
     * square of its shorter side resampled to width x height.
     */
    public DecodedImage fit(DecodedImage image) {
        if (image.width() == width && image.height() == height) {
            return image;
        }
        int side = Math.min(image.width(), image.height());
        int x0 = (image.width() - side) / 2;
        int y0 = (image.height() - side) / 2;
        return resample(image, x0, y0, side, side, width, height);
    }

    /**
     * Writes one image, already at the model's size, as normalised NCHW floats into the batch tensor
     * {@code dst} at position {@code imageIndex} (absolute puts: dst's position and limit are untouched).
     *
     * @throws IllegalArgumentException when the image does not have the model's size
     */
    public void write(DecodedImage fitted, FloatBuffer dst, int imageIndex) {
        if (fitted.width() != width || fitted.height() != height) {
            throw new IllegalArgumentException("image is " + fitted.width() + "x" + fitted.height()
                    + ", the model takes " + width + "x" + height + ": call fit() first");
        }
        int plane = width * height;
        int base = imageIndex * 3 * plane;
        // Tensor channels are in metadata order (RGB or BGR); mean/std, and so the lookup tables, too.
        int redPlane = rgbOrder ? 0 : 2;
        int bluePlane = 2 - redPlane;
        float[] red = lut[redPlane];
        float[] green = lut[1];
        float[] blue = lut[bluePlane];
        int[] rgb = fitted.rgb();
        for (int i = 0; i < plane; i++) {
            int p = rgb[i];
            dst.put(base + redPlane * plane + i, red[(p >> 16) & 0xFF]);
            dst.put(base + plane + i, green[(p >> 8) & 0xFF]);
            dst.put(base + bluePlane * plane + i, blue[p & 0xFF]);
        }
    }

    /**
     * Writes a decoded image: straight from its raster's bytes when it has the model's size and 8-bit RGB or
     * grey samples (the same values {@link #write(DecodedImage, FloatBuffer, int)} gives), else fitted first.
     */
    void write(BufferedImage image, FloatBuffer dst, int imageIndex) {
        RasterPixels.Interleaved px = image.getWidth() == width && image.getHeight() == height
                ? RasterPixels.interleaved(image) : null;
        if (px == null) {
            fitAndWrite(RasterPixels.rgb(image), dst, imageIndex);
            return;
        }
        write(px, width, height, dst, imageIndex);
    }

    /** Writes interleaved 8-bit samples of a w x h image: straight when it has the model's size, else fitted first. */
    void write(RasterPixels.Interleaved px, int w, int h, FloatBuffer dst, int imageIndex) {
        if (w != width || h != height) {
            fitAndWrite(RasterPixels.rgb(px, w, h), dst, imageIndex);
            return;
        }
        int plane = width * height;
        int base = imageIndex * 3 * plane;
        int redPlane = base + (rgbOrder ? 0 : 2) * plane;
        int greenPlane = base + plane;
        int bluePlane = base + (rgbOrder ? 2 : 0) * plane;
        float[] red = lut[rgbOrder ? 0 : 2];
        float[] green = lut[1];
        float[] blue = lut[rgbOrder ? 2 : 0];
        byte[] d = px.data();
        int stride = px.pixelStride();
        for (int y = 0; y < height; y++) {
            int p = px.offset() + y * px.scanlineStride();
            int i = y * width;
            for (int x = 0; x < width; x++, i++, p += stride) {
                dst.put(redPlane + i, red[d[p + px.red()] & 0xFF]);
                dst.put(greenPlane + i, green[d[p + px.green()] & 0xFF]);
                dst.put(bluePlane + i, blue[d[p + px.blue()] & 0xFF]);
            }
        }
    }

    /** Fits, then writes: the usual per-image step before a batch runs. */
    public void fitAndWrite(DecodedImage image, FloatBuffer dst, int imageIndex) {
        write(fit(image), dst, imageIndex);
    }

    // ------------------------------------------------------------------------------ PIL-style resampling

    /** Resamples the box (x0, y0, boxW, boxH) of {@code src} to outW x outH. */
    static DecodedImage resample(DecodedImage src, int x0, int y0, int boxW, int boxH, int outW, int outH) {
        Kernel horizontal = Kernel.of(boxW, outW);
        Kernel vertical = Kernel.of(boxH, outH);
        int[] srcRgb = src.rgb();
        int srcW = src.width();
        // Horizontal pass over the box's rows: boxH x outW, each channel rounded to 8 bits as PIL does.
        int[] mid = new int[boxH * outW];
        for (int y = 0; y < boxH; y++) {
            int row = (y0 + y) * srcW + x0;
            for (int x = 0; x < outW; x++) {
                int start = horizontal.start[x];
                int[] k = horizontal.weights[x];
                int r = 1 << (PRECISION_BITS - 1);
                int g = r;
                int b = r;
                for (int j = 0; j < k.length; j++) {
                    int p = srcRgb[row + start + j];
                    r += ((p >> 16) & 0xFF) * k[j];
                    g += ((p >> 8) & 0xFF) * k[j];
                    b += (p & 0xFF) * k[j];
                }
                mid[y * outW + x] = (clip8(r) << 16) | (clip8(g) << 8) | clip8(b);
            }
        }
        int[] out = new int[outW * outH];
        for (int y = 0; y < outH; y++) {
            int start = vertical.start[y];
            int[] k = vertical.weights[y];
            for (int x = 0; x < outW; x++) {
                int r = 1 << (PRECISION_BITS - 1);
                int g = r;
                int b = r;
                for (int j = 0; j < k.length; j++) {
                    int p = mid[(start + j) * outW + x];
                    r += ((p >> 16) & 0xFF) * k[j];
                    g += ((p >> 8) & 0xFF) * k[j];
                    b += (p & 0xFF) * k[j];
                }
                out[y * outW + x] = (clip8(r) << 16) | (clip8(g) << 8) | clip8(b);
            }
        }
        return new DecodedImage(outW, outH, out);
    }

    private static int clip8(int v) {
        int s = v >> PRECISION_BITS;
        return s < 0 ? 0 : Math.min(s, 255);
    }

    /** Per output pixel: the first input pixel and fixed-point weights of the bilinear (triangle) filter. */
    private record Kernel(int[] start, int[][] weights) {

        static Kernel of(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = filterScale; // the triangle filter's support is 1, widened when downscaling
            int[] start = new int[outSize];
            int[][] weights = new int[outSize][];
            for (int o = 0; o < outSize; o++) {
                double center = (o + 0.5) * scale;
                int min = Math.max((int) (center - support + 0.5), 0);
                int max = Math.min((int) (center + support + 0.5), inSize);
                double[] w = new double[max - min];
                double sum = 0;
                for (int i = 0; i < w.length; i++) {
                    double t = Math.abs((i + min - center + 0.5) / filterScale);
                    w[i] = t < 1 ? 1 - t : 0;
                    sum += w[i];
                }
                int[] fixed = new int[w.length];
                for (int i = 0; i < w.length; i++) {
                    double v = sum == 0 ? 0 : w[i] / sum;
                    fixed[i] = (int) (v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
                }
                start[o] = min;
                weights[o] = fixed;
            }
            return new Kernel(start, weights);
        }
    }
}
