package org.hemastream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.hemastream.config.ConfigException;
import org.hemastream.config.ServiceConfig;
import org.hemastream.config.Settings;
import org.hemastream.inference.ImageDecoder;
import org.hemastream.inference.ImageLimits;
import org.hemastream.inference.JpegDecoder;
import org.junit.jupiter.api.Test;

/** {@code inference.jpegDecoder} at start-up: what each value gives on this machine, with or without libturbojpeg. */
class JpegDecoderStartUpTest {

    private static final boolean TURBOJPEG_HERE =
            new ImageDecoder(ImageLimits.DEFAULT).jpegDecoder() == JpegDecoder.TURBOJPEG;

    @Test
    void turboJpegStartsWithTheLibraryAndOtherwiseStopsStartUpNamingTheKey() {
        ServiceConfig config = config("turbojpeg");
        if (TURBOJPEG_HERE) {
            assertThat(HemastreamService.imageDecoder(config.inference()).jpegDecoder()).isEqualTo(JpegDecoder.TURBOJPEG);
        } else {
            assertThatThrownBy(() -> HemastreamService.imageDecoder(config.inference()))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("inference.jpegDecoder").hasMessageContaining("libturbojpeg0");
        }
    }

    @Test
    void autoTakesTheLibraryWhenItLoadsAndImageIoAlwaysTakesImageIo() {
        assertThat(HemastreamService.imageDecoder(config("auto").inference()).jpegDecoder())
                .isEqualTo(TURBOJPEG_HERE ? JpegDecoder.TURBOJPEG : JpegDecoder.IMAGEIO);
        assertThat(HemastreamService.imageDecoder(config("imageio").inference()).jpegDecoder())
                .isEqualTo(JpegDecoder.IMAGEIO);
    }

    @Test
    void theImageLimitsComeFromTheConfiguration() {
        ServiceConfig config = ServiceConfig.from(Settings.defaults().with(Map.of("inference.maxImagePixels", "10000")));

        assertThat(HemastreamService.imageDecoder(config.inference()).limits().maxPixels()).isEqualTo(10_000);
    }

    private static ServiceConfig config(String jpegDecoder) {
        return ServiceConfig.from(Settings.defaults().with(Map.of("inference.jpegDecoder", jpegDecoder)));
    }
}
