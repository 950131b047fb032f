package org.hemastream.inference;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;

/**
 * Reads the 8-bit samples of what ImageIO's readers return straight from the raster's byte array, without
 * {@code BufferedImage.getRGB}'s per-pixel colour model (which was most of the service's decode time).
 *
 * <p>What PIL's {@code convert("RGB")} gives the training code is the reference: sRGB colour samples as they
 * are, in whatever band order (JPEG {@code 3BYTE_BGR}, PNG RGB / RGBA, {@code 4BYTE_ABGR}), alpha dropped;
 * a grey sample repeated in all three channels ({@code BYTE_GRAY}, grey + alpha); a palette entry's colour
 * ({@code BYTE_INDEXED}). Anything else (16-bit samples, 1/2/4-bit palettes, premultiplied alpha, other colour
 * spaces) takes {@code getRGB}. The JDK's JPEG reader refuses CMYK and YCCK files, which are then rejected as
 * corrupt as before.
 */
final class RasterPixels {

    private RasterPixels() {
    }

    /**
     * 8-bit samples of an image in one byte array: the sample of pixel (x, y) in channel c is
     * {@code data[offset + y * scanlineStride + x * pixelStride + (red|green|blue)]}.
     */
    record Interleaved(byte[] data, int offset, int pixelStride, int scanlineStride, int red, int green, int blue) {
    }

    /** The image's samples as {@link Interleaved} bytes, or null when they are not 8-bit sRGB or grey. */
    static Interleaved interleaved(BufferedImage image) {
        WritableRaster raster = image.getRaster();
        if (!(image.getColorModel() instanceof ComponentColorModel cm)
                || !(raster.getSampleModel() instanceof ComponentSampleModel sm)
                || !(raster.getDataBuffer() instanceof DataBufferByte buffer)
                || buffer.getNumBanks() != 1 || cm.isAlphaPremultiplied()
                || raster.getSampleModelTranslateX() != 0 || raster.getSampleModelTranslateY() != 0) {
            return null;
        }
        for (int bits : cm.getComponentSize()) {
            if (bits != 8) {
                return null;
            }
        }
        for (int bank : sm.getBankIndices()) {
            if (bank != 0) {
                return null;
            }
        }
        int[] bands = sm.getBandOffsets();
        ColorSpace cs = cm.getColorSpace();
        int offset = buffer.getOffset();
        if (cm.getNumColorComponents() == 3 && cs.isCS_sRGB()) {
            return new Interleaved(buffer.getData(), offset, sm.getPixelStride(), sm.getScanlineStride(),
                    bands[0], bands[1], bands[2]);
        }
        if (cm.getNumColorComponents() == 1 && cs.getType() == ColorSpace.TYPE_GRAY) {
            // PIL repeats the grey sample; getRGB would map linear grey to sRGB (128 -> 188).
            return new Interleaved(buffer.getData(), offset, sm.getPixelStride(), sm.getScanlineStride(),
                    bands[0], bands[0], bands[0]);
        }
        return null;
    }

    /** The image as packed {@code 0xRRGGBB} pixels. */
    static DecodedImage rgb(BufferedImage image) {
        int width = image.getWidth();
        int height = image.getHeight();
        int[] rgb = new int[width * height];
        Interleaved px = interleaved(image);
        if (px != null) {
            return rgb(px, width, height);
        }
        int[] palette = palette(image);
        if (palette != null) {
            ComponentSampleModel sm = (ComponentSampleModel) image.getRaster().getSampleModel();
            byte[] d = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
            int offset = ((DataBufferByte) image.getRaster().getDataBuffer()).getOffset() + sm.getBandOffsets()[0];
            for (int y = 0; y < height; y++) {
                int p = offset + y * sm.getScanlineStride();
                for (int x = 0; x < width; x++, p += sm.getPixelStride()) {
                    rgb[y * width + x] = palette[d[p] & 0xFF];
                }
            }
            return new DecodedImage(width, height, rgb);
        }
        image.getRGB(0, 0, width, height, rgb, 0, width);
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] &= 0xFFFFFF;
        }
        return new DecodedImage(width, height, rgb);
    }

    /** Interleaved samples of a width x height image as packed {@code 0xRRGGBB} pixels. */
    static DecodedImage rgb(Interleaved px, int width, int height) {
        int[] rgb = new int[width * height];
        byte[] d = px.data();
        for (int y = 0; y < height; y++) {
            int p = px.offset() + y * px.scanlineStride();
            int row = y * width;
            for (int x = 0; x < width; x++, p += px.pixelStride()) {
                rgb[row + x] = (d[p + px.red()] & 0xFF) << 16 | (d[p + px.green()] & 0xFF) << 8 | d[p + px.blue()] & 0xFF;
            }
        }
        return new DecodedImage(width, height, rgb);
    }

    /** The 256 colours of an 8-bit palette image whose indices are one byte per pixel, or null. */
    private static int[] palette(BufferedImage image) {
        WritableRaster raster = image.getRaster();
        if (!(image.getColorModel() instanceof IndexColorModel cm) || cm.getPixelSize() != 8
                || !(raster.getSampleModel() instanceof ComponentSampleModel sm) || sm.getNumBands() != 1
                || !(raster.getDataBuffer() instanceof DataBufferByte buffer) || buffer.getNumBanks() != 1
                || raster.getSampleModelTranslateX() != 0 || raster.getSampleModelTranslateY() != 0) {
            return null;
        }
        int[] palette = new int[256];
        int[] colours = new int[cm.getMapSize()];
        cm.getRGBs(colours);
        for (int i = 0; i < Math.min(256, colours.length); i++) {
            palette[i] = colours[i] & 0xFFFFFF;
        }
        return palette;
    }
}
