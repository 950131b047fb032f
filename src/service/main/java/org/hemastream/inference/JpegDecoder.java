package org.hemastream.inference;

import java.util.Locale;

/**
 * Which library decodes JPEG cells (configuration key {@code inference.jpegDecoder}). PNGs always take ImageIO.
 * {@code AUTO} takes libjpeg-turbo's TurboJPEG when {@code libturbojpeg.so.0} loads, else the JDK's ImageIO;
 * {@code TURBOJPEG} insists on it (start-up fails without it); {@code IMAGEIO} never tries it. Both give the
 * pixels PIL gives the training code (Java/Python parity holds for either).
 */
public enum JpegDecoder {
    AUTO, TURBOJPEG, IMAGEIO;

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
