package org.hemastream.inference;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
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
 * <p>JPEGs are decoded by libjpeg-turbo ({@link TurboJpeg}) when it is in force ({@link #jpegDecoder()}), with the
 * same checks in the same order (dimensions from its header before decoding, any libjpeg warning is corruption);
 * PNGs always take ImageIO.
 *
 * <p>Pixels are the JDK readers' samples, taken from the raster as they are ({@link RasterPixels}: no
 * per-pixel colour model); for the dataset JPEGs ({@code TYPE_3BYTE_BGR}) these are exactly the pixels PIL
 * gives the Python training code; keep it that way for Java/Python parity.
 *
 * <p>Thread-safe: one instance can serve all worker threads (each thread reuses its own readers).
 */
public final class ImageDecoder {

    private static final Logger log = LoggerFactory.getLogger(ImageDecoder.class);
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    /** The JDK's own readers, looked up once: their decode path is the one verified against PIL. */
    private static final ImageReaderSpi JPEG = jdkReader("jpeg");
    private static final ImageReaderSpi PNG = jdkReader("png");

    /**
     * Each thread keeps its own readers: creating a JPEG reader sets up libjpeg's native state, which for a
     * 128 px cell costs about as much as decoding it. ImageIO readers are not thread-safe; per thread they are.
     */
    private static final ThreadLocal<Readers> READERS = ThreadLocal.withInitial(Readers::new);

    private final ImageLimits limits;
    private final boolean turbo;
    private final TurboJpeg.Availability turbojpeg;

    /** Decodes JPEGs with TurboJPEG when the library loads ({@link JpegDecoder#AUTO}). */
    public ImageDecoder(ImageLimits limits) {
        this(limits, JpegDecoder.AUTO);
    }

    /**
     * @throws IllegalStateException when {@code jpeg} is {@link JpegDecoder#TURBOJPEG} and the library does not load
     */
    public ImageDecoder(ImageLimits limits, JpegDecoder jpeg) {
        this(limits, jpeg, jpeg == JpegDecoder.IMAGEIO ? null : TurboJpeg.system());
    }

    /** With a given TurboJPEG availability (null: not looked up, as for {@code IMAGEIO}). */
    ImageDecoder(ImageLimits limits, JpegDecoder jpeg, TurboJpeg.Availability turbojpeg) {
        this.limits = Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(jpeg, "jpeg");
        this.turbojpeg = turbojpeg;
        if (jpeg == JpegDecoder.TURBOJPEG && !turbojpeg.loaded()) {
            throw new IllegalStateException("turbojpeg: libjpeg-turbo's TurboJPEG library (Debian package libturbojpeg0) "
                    + "does not load: " + turbojpeg.description());
        }
        this.turbo = turbojpeg != null && turbojpeg.loaded();
    }

    /**
     * Which library decodes JPEGs here and why, for the start-up log line: the TurboJPEG library's file, or
     * why it did not load.
     */
    public String describeJpegDecoder() {
        if (turbo) {
            return "turbojpeg (" + turbojpeg.description() + ")";
        }
        return turbojpeg == null ? "imageio (as configured)" : "imageio (TurboJPEG does not load: " + turbojpeg.description() + ")";
    }

    /** {@code TURBOJPEG} or {@code IMAGEIO}: which library decodes this decoder's JPEGs. */
    public JpegDecoder jpegDecoder() {
        return turbo ? JpegDecoder.TURBOJPEG : JpegDecoder.IMAGEIO;
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
        if (checkSignature(bytes) && turbo) {
            TurboJpeg.Decoded d = TurboJpeg.decode(bytes, limits);
            return RasterPixels.rgb(d.pixels(), d.width(), d.height());
        }
        return RasterPixels.rgb(decodeImage(bytes));
    }

    /**
     * Decodes one image straight into a batch tensor: {@code preprocessor.write} at {@code imageIndex} of
     * {@code dst}, without an intermediate RGB array when the image already has the model's size.
     *
     * @throws ImageRejectedException with the reason the image is refused; {@code dst} is then untouched
     */
    public void decodeInto(byte[] bytes, CellPreprocessor preprocessor, FloatBuffer dst, int imageIndex)
            throws ImageRejectedException {
        if (checkSignature(bytes) && turbo) {
            TurboJpeg.Decoded d = TurboJpeg.decode(bytes, limits);
            preprocessor.write(d.pixels(), d.width(), d.height(), dst, imageIndex);
            return;
        }
        preprocessor.write(decodeImage(bytes), dst, imageIndex);
    }

    /**
     * The checks before any decoder sees the bytes: presence, byte count, signature, JPEG end-of-image marker.
     *
     * @return true for a JPEG, false for a PNG
     */
    private boolean checkSignature(byte[] bytes) throws ImageRejectedException {
        if (bytes == null || bytes.length == 0) {
            throw new ImageRejectedException(Reason.EMPTY, "no image bytes");
        }
        if (bytes.length > limits.maxBytes()) {
            throw new ImageRejectedException(Reason.TOO_MANY_BYTES,
                    bytes.length + " bytes, limit " + limits.maxBytes());
        }
        if (isJpeg(bytes)) {
            if (!endsWithJpegEndOfImage(bytes)) {
                throw new ImageRejectedException(Reason.CORRUPT, "JPEG without end-of-image marker (truncated)");
            }
            return true;
        }
        if (isPng(bytes)) {
            return false;
        }
        throw new ImageRejectedException(Reason.NOT_AN_IMAGE, "neither a JPEG nor a PNG signature");
    }

    private BufferedImage decodeImage(byte[] bytes) throws ImageRejectedException {
        boolean jpeg = checkSignature(bytes);
        Readers readers = READERS.get();
        Reader reader = jpeg ? readers.jpeg() : readers.png();
        boolean clean = false;
        try {
            BufferedImage image = read(reader, bytes);
            clean = true;
            return image;
        } catch (ImageRejectedException e) {
            clean = e.reason() == Reason.TOO_MANY_PIXELS;
            throw e;
        } catch (IOException | RuntimeException e) {
            throw corrupt(reader.format, e);
        } catch (Error e) {
            // ImageIO's native JPEG code and its colour conversion throw Errors on some malformed inputs;
            // one bad image must not take the worker (or the JVM) down. Size limits were checked above,
            // so this is not where a real shortage of memory would surface.
            throw corrupt(reader.format, e);
        } finally {
            reader.reader.setInput(null);
            if (!clean) {
                // A reader that failed mid-decode may keep broken native state: the next image gets a new one.
                readers.discard(reader);
            }
        }
    }

    private BufferedImage read(Reader r, byte[] bytes) throws IOException, ImageRejectedException {
        ImageReader reader = r.reader;
        String format = r.format;
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
            r.warnings.first = null;
            BufferedImage image = reader.read(0, r.param);
            if (r.warnings.first != null) {
                throw new ImageRejectedException(Reason.CORRUPT, format + " decoder warning: " + r.warnings.first);
            }
            if (image.getWidth() != width || image.getHeight() != height) {
                throw new ImageRejectedException(Reason.CORRUPT, format + " decoded size differs from its header");
            }
            return image;
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

    /** One reader with its reusable read parameters and warning listener. */
    private static final class Reader {
        private final String format;
        private final ImageReader reader;
        private final ImageReadParam param;
        private final WarningCollector warnings = new WarningCollector();

        Reader(String format, ImageReaderSpi spi) throws IOException {
            this.format = format;
            this.reader = spi.createReaderInstance();
            this.param = reader.getDefaultReadParam();
            reader.addIIOReadWarningListener(warnings);
        }
    }

    /** A thread's JPEG and PNG readers, created on first use. */
    private static final class Readers {
        private Reader jpeg;
        private Reader png;

        Reader jpeg() throws ImageRejectedException {
            if (jpeg == null) {
                jpeg = create("jpeg", JPEG);
            }
            return jpeg;
        }

        Reader png() throws ImageRejectedException {
            if (png == null) {
                png = create("png", PNG);
            }
            return png;
        }

        void discard(Reader r) {
            r.reader.dispose();
            if (r == jpeg) {
                jpeg = null;
            } else if (r == png) {
                png = null;
            }
        }

        private static Reader create(String format, ImageReaderSpi spi) throws ImageRejectedException {
            try {
                return new Reader(format, spi);
            } catch (IOException e) {
                throw corrupt(format, e);
            }
        }
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
