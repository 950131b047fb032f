package org.hemastream.inference;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Objects;

import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

import org.hemastream.inference.ImageRejectedException.Reason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes untrusted JPEG and PNG bytes into {@link DecodedImage}s, refusing anything dubious with a
 * typed {@link ImageRejectedException} instead of crashing or allocating without bound.
 *
 * <p>Order of checks: byte count, then magic bytes (the format is taken from the signature, never from
 * a name or a guess), then the declared dimensions read from the header before any pixel is decoded
 * (decompression bombs), then the JPEG end-of-image marker (truncation), then the decode itself with any
 * ImageIO warning treated as corruption. Any exception or error thrown inside ImageIO becomes
 * {@link Reason#CORRUPT}.
 *
 * <p>Pixels come from ImageIO's default path ({@code BufferedImage.getRGB} of what the reader returns,
 * {@code TYPE_3BYTE_BGR} for colour JPEGs), which decodes the dataset JPEGs to exactly the pixels PIL
 * gives the Python training code; keep it that way for Java/Python parity.
 *
 * <p>Thread-safe and stateless apart from its limits: one instance can serve all worker threads.
 */
public final class ImageDecoder {

    private static final Logger log = LoggerFactory.getLogger(ImageDecoder.class);
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    /** The JDK's own readers, looked up once: their decode path is the one verified against PIL. */
    private static final ImageReaderSpi JPEG = jdkReader("jpeg");
    private static final ImageReaderSpi PNG = jdkReader("png");

    private final ImageLimits limits;

    public ImageDecoder(ImageLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    public ImageLimits limits() {
        return limits;
    }

    /**
     * Decodes one image.
     *
     * @param bytes the encoded image (JPEG or PNG); not modified
     * @return the pixels as RGB
     * @throws ImageRejectedException with the reason the image is refused
     */
    public DecodedImage decode(byte[] bytes) throws ImageRejectedException {
        if (bytes == null || bytes.length == 0) {
            throw new ImageRejectedException(Reason.EMPTY, "no image bytes");
        }
        if (bytes.length > limits.maxBytes()) {
            throw new ImageRejectedException(Reason.TOO_MANY_BYTES,
                    bytes.length + " bytes, limit " + limits.maxBytes());
        }
        String format;
        if (isJpeg(bytes)) {
            format = "jpeg";
            if (!endsWithJpegEndOfImage(bytes)) {
                throw new ImageRejectedException(Reason.CORRUPT, "JPEG without end-of-image marker (truncated)");
            }
        } else if (isPng(bytes)) {
            format = "png";
        } else {
            throw new ImageRejectedException(Reason.NOT_AN_IMAGE, "neither a JPEG nor a PNG signature");
        }
        try {
            return read(format, bytes);
        } catch (ImageRejectedException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw corrupt(format, e);
        } catch (Error e) {
            // ImageIO's native JPEG code and its colour conversion throw Errors on some malformed inputs;
            // one bad image must not take the worker (or the JVM) down. Size limits were checked above,
            // so this is not where a real shortage of memory would surface.
            throw corrupt(format, e);
        }
    }

    private DecodedImage read(String format, byte[] bytes) throws IOException, ImageRejectedException {
        ImageReader reader = ("jpeg".equals(format) ? JPEG : PNG).createReaderInstance();
        // A memory-backed stream: no temporary files, whatever ImageIO.getUseCache() says.
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            if (width < 1 || height < 1) {
                throw new ImageRejectedException(Reason.CORRUPT, format + " header declares " + width + "x" + height);
            }
            long pixels = (long) width * height;
            if (pixels > limits.maxPixels()) {
                throw new ImageRejectedException(Reason.TOO_MANY_PIXELS,
                        format + " header declares " + width + "x" + height + " = " + pixels
                                + " pixels, limit " + limits.maxPixels());
            }
            WarningCollector warnings = new WarningCollector();
            reader.addIIOReadWarningListener(warnings);
            ImageReadParam param = reader.getDefaultReadParam();
            BufferedImage image = reader.read(0, param);
            if (warnings.first != null) {
                throw new ImageRejectedException(Reason.CORRUPT, format + " decoder warning: " + warnings.first);
            }
            if (image.getWidth() != width || image.getHeight() != height) {
                throw new ImageRejectedException(Reason.CORRUPT, format + " decoded size differs from its header");
            }
            int[] rgb = image.getRGB(0, 0, width, height, null, 0, width);
            return new DecodedImage(width, height, rgb);
        } finally {
            reader.dispose();
        }
    }

    private static ImageReaderSpi jdkReader(String format) {
        ImageReaderSpi fallback = null;
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format);
        while (readers.hasNext()) {
            ImageReaderSpi spi = readers.next().getOriginatingProvider();
            if (spi.getClass().getName().startsWith("com.sun.imageio.")) {
                return spi;
            }
            fallback = fallback == null ? spi : fallback;
        }
        if (fallback == null) {
            throw new IllegalStateException("no ImageIO reader for " + format);
        }
        return fallback;
    }

    private static ImageRejectedException corrupt(String format, Throwable cause) {
        log.debug("undecodable {} image: {}", format, cause.toString());
        return new ImageRejectedException(Reason.CORRUPT, "undecodable " + format + ": " + cause, cause);
    }

    static boolean isJpeg(byte[] b) {
        return b.length >= 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8 && (b[2] & 0xFF) == 0xFF;
    }

    static boolean isPng(byte[] b) {
        if (b.length < PNG_SIGNATURE.length) {
            return false;
        }
        for (int i = 0; i < PNG_SIGNATURE.length; i++) {
            if (b[i] != PNG_SIGNATURE[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * True when the last marker of the file is EOI ({@code FF D9}), allowing trailing zero padding (some
     * encoders pad to a block size). Inside entropy-coded data {@code FF} is always followed by
     * {@code 00} or a restart marker, so a truncated scan cannot end in {@code FF D9} by accident.
     */
    static boolean endsWithJpegEndOfImage(byte[] b) {
        int end = b.length;
        while (end > 0 && b[end - 1] == 0) {
            end--;
        }
        return end >= 4 && (b[end - 2] & 0xFF) == 0xFF && (b[end - 1] & 0xFF) == 0xD9;
    }

    /** ImageIO reports "Premature end of JPEG file" and similar damage as warnings, then returns pixels. */
    private static final class WarningCollector implements IIOReadWarningListener {
        private String first;

        @Override
        public void warningOccurred(ImageReader source, String warning) {
            if (first == null) {
                first = warning;
            }
        }
    }
}
