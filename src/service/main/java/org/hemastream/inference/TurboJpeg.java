package org.hemastream.inference;

import java.lang.ref.Cleaner;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

import org.hemastream.inference.ImageRejectedException.Reason;

/**
 * JPEG decoding with libjpeg-turbo's TurboJPEG C API ({@code libturbojpeg.so.0}, Debian's {@code libturbojpeg0}),
 * bound with JNA direct mapping. The JDK's bundled libjpeg takes 0.17–0.20 ms for a 128 px cell; libjpeg-turbo's
 * SIMD code is what PIL uses on Debian, so the pixels are also the training code's.
 *
 * <p>Decoding matches PIL's {@code Image.open(...).convert("RGB")}: accurate integer DCT, fancy (smooth) chroma
 * upsampling (the library's default), RGB output; grey JPEGs come out with the grey sample in all three channels.
 * CMYK and YCCK files are refused as corrupt, as the JDK's reader refuses them. Any libjpeg warning (premature end
 * of data, corrupt entropy data) fails the decode: the same rule as for ImageIO's warnings.
 *
 * <p>Each thread has its own decompressor handle and native buffers, reused from image to image; a handle that
 * failed is replaced, and a thread's handle is destroyed once the thread is gone.
 */
final class TurboJpeg {

    /** {@code TJPF_RGB}. */
    private static final int PIXEL_FORMAT_RGB = 0;
    /** {@code TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING}; fancy upsampling is on unless TJFLAG_FASTUPSAMPLE. */
    private static final int FLAGS = 4096 | 8192;
    /** {@code TJCS_CMYK}, {@code TJCS_YCCK}. */
    private static final int COLORSPACE_CMYK = 3;
    private static final int COLORSPACE_YCCK = 4;

    /** The Debian library's file name first (no {@code -dev} package, so no unversioned link), then the plain name. */
    static final String[] LIBRARY_NAMES = {"libturbojpeg.so.0", "turbojpeg"};

    private static final Cleaner CLEANER = Cleaner.create();
    private static final ThreadLocal<Session> SESSIONS = new ThreadLocal<>();
    private static Availability system;
    private static boolean bound;

    /** A decoded image: its size and its RGB samples (the thread's buffer, valid until its next decode). */
    record Decoded(int width, int height, RasterPixels.Interleaved pixels) {
    }

    /** Whether the library loaded, and if not, why not (for the start-up log line and the error message). */
    record Availability(boolean loaded, String description) {
    }

    private TurboJpeg() {
    }

    /** The system's TurboJPEG library, looked up once. */
    static synchronized Availability system() {
        if (system == null) {
            system = load(LIBRARY_NAMES);
        }
        return system;
    }

    /**
     * Tries each library name in turn; the first that loads is bound to this class's native methods (once per
     * JVM, so only the real names may be passed once one has loaded).
     */
    static synchronized Availability load(String... names) {
        StringBuilder problems = new StringBuilder();
        for (String name : names) {
            try {
                NativeLibrary library = NativeLibrary.getInstance(name);
                if (!bound) {
                    Native.register(TurboJpeg.class, library);
                    bound = true;
                }
                return new Availability(true, library.getFile() == null ? name : library.getFile().toString());
            } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
                problems.append(problems.isEmpty() ? "" : "; ").append(name).append(": ").append(firstLine(e));
            }
        }
        return new Availability(false, problems.toString());
    }

    /**
     * Decodes a JPEG into the calling thread's RGB buffer, refusing it when its header declares more than
     * {@code limits.maxPixels()} (before any pixel is decoded).
     *
     * @return the pixels, valid until this thread's next decode
     */
    static Decoded decode(byte[] jpeg, ImageLimits limits) throws ImageRejectedException {
        Session s = SESSIONS.get();
        if (s == null) {
            s = new Session();
            SESSIONS.set(s);
        }
        boolean clean = false;
        try {
            Decoded px = s.decode(jpeg, limits);
            clean = true;
            return px;
        } catch (ImageRejectedException e) {
            clean = e.reason() == Reason.TOO_MANY_PIXELS;
            throw e;
        } finally {
            if (!clean) {
                // As with ImageIO's readers: a handle that failed mid-decode is not trusted with the next image.
                s.destroy();
                SESSIONS.remove();
            }
        }
    }

    /** One thread's decompressor handle, native input/output buffers and Java copy of the pixels. */
    private static final class Session {
        private final Pointer handle;
        private final Cleaner.Cleanable cleanable;
        private final Memory header = new Memory(16);
        private Memory in = new Memory(64 * 1024);
        private Memory out = new Memory(128 * 128 * 3);
        private byte[] pixels = new byte[128 * 128 * 3];

        Session() throws ImageRejectedException {
            Pointer h = tjInitDecompress();
            if (h == null) {
                throw new ImageRejectedException(Reason.CORRUPT, "TurboJPEG could not create a decompressor");
            }
            this.handle = h;
            // The action holds only the handle's address: the thread (whose death releases it) is not kept alive.
            long address = Pointer.nativeValue(h);
            this.cleanable = CLEANER.register(Thread.currentThread(), () -> tjDestroy(new Pointer(address)));
        }

        Decoded decode(byte[] jpeg, ImageLimits limits) throws ImageRejectedException {
            if (in.size() < jpeg.length) {
                in = new Memory(Long.highestOneBit(jpeg.length) << 1);
            }
            in.write(0, jpeg, 0, jpeg.length);
            NativeLong length = new NativeLong(jpeg.length);
            if (tjDecompressHeader3(handle, in, length, header, header.share(4), header.share(8), header.share(12)) != 0) {
                throw corrupt("header");
            }
            int width = header.getInt(0);
            int height = header.getInt(4);
            int colorspace = header.getInt(12);
            if (width < 1 || height < 1) {
                throw new ImageRejectedException(Reason.CORRUPT, "jpeg header declares " + width + "x" + height);
            }
            long count = (long) width * height;
            if (count > limits.maxPixels()) {
                throw new ImageRejectedException(Reason.TOO_MANY_PIXELS, "jpeg header declares " + width + "x" + height
                        + " = " + count + " pixels, limit " + limits.maxPixels());
            }
            if (colorspace == COLORSPACE_CMYK || colorspace == COLORSPACE_YCCK) {
                throw new ImageRejectedException(Reason.CORRUPT, "CMYK/YCCK JPEG (not an sRGB or grey image)");
            }
            int bytes = Math.toIntExact(count * 3);
            if (out.size() < bytes) {
                out = new Memory(bytes);
                pixels = new byte[bytes];
            }
            if (tjDecompress2(handle, in, length, out, width, 0, height, PIXEL_FORMAT_RGB, FLAGS) != 0) {
                throw corrupt("data");
            }
            out.read(0, pixels, 0, bytes);
            return new Decoded(width, height, new RasterPixels.Interleaved(pixels, 0, 3, width * 3, 0, 1, 2));
        }

        private ImageRejectedException corrupt(String what) {
            return new ImageRejectedException(Reason.CORRUPT, "undecodable jpeg " + what + ": " + tjGetErrorStr2(handle));
        }

        void destroy() {
            cleanable.clean();
        }
    }

    private static String firstLine(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    private static native Pointer tjInitDecompress();

    private static native int tjDecompressHeader3(Pointer handle, Pointer jpegBuf, NativeLong jpegSize, Pointer width,
                                                  Pointer height, Pointer subsamp, Pointer colorspace);

    private static native int tjDecompress2(Pointer handle, Pointer jpegBuf, NativeLong jpegSize, Pointer dstBuf,
                                            int width, int pitch, int height, int pixelFormat, int flags);

    private static native String tjGetErrorStr2(Pointer handle);

    private static native int tjDestroy(Pointer handle);
}
