package org.hemastream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.util.Random;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every {@link ImageDecoderTest} case (limits from the header before decoding, truncation, corruption, damage)
 * again with libjpeg-turbo decoding the JPEGs, plus what is particular to it: the decoder's selection and
 * fallback, and the same pixels as ImageIO. The cases that need the library are skipped where it is not
 * installed (Debian package {@code libturbojpeg0}); the selection cases always run.
 */
class TurboJpegImageDecoderTest extends ImageDecoderTest {

    private static final TurboJpeg.Availability MISSING = TurboJpeg.load("libturbojpeg-not-installed.so.0");

    @Override
    ImageDecoder decoderWith(ImageLimits limits) {
        return new ImageDecoder(limits, TurboJpeg.system().loaded() ? JpegDecoder.TURBOJPEG : JpegDecoder.IMAGEIO);
    }

    @BeforeEach
    void needsTheLibrary(org.junit.jupiter.api.TestInfo test) {
        if (!test.getTestMethod().orElseThrow().getName().startsWith("selection")) {
            assumeTrue(TurboJpeg.system().loaded(), "libturbojpeg.so.0 not installed: " + TurboJpeg.system().description());
        }
    }

    @Test
    void selectionAutoFallsBackToImageIoWhenTheLibraryDoesNotLoad() {
        ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT, JpegDecoder.AUTO, MISSING);

        assertThat(MISSING.loaded()).isFalse();
        assertThat(decoder.jpegDecoder()).isEqualTo(JpegDecoder.IMAGEIO);
        assertThat(decoder.describeJpegDecoder()).startsWith("imageio").contains("libturbojpeg-not-installed.so.0");
    }

    @Test
    void selectionTurboJpegWithoutTheLibraryFailsNamingIt() {
        assertThatThrownBy(() -> new ImageDecoder(ImageLimits.DEFAULT, JpegDecoder.TURBOJPEG, MISSING))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("libturbojpeg0").hasMessageContaining("libturbojpeg-not-installed.so.0");
    }

    @Test
    void selectionImageIoNeverLooksForTheLibrary() {
        ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT, JpegDecoder.IMAGEIO);

        assertThat(decoder.jpegDecoder()).isEqualTo(JpegDecoder.IMAGEIO);
        assertThat(decoder.describeJpegDecoder()).isEqualTo("imageio (as configured)");
    }

    @Test
    void selectionAutoTakesTheLibraryWhenItLoads() {
        assertThat(new ImageDecoder(ImageLimits.DEFAULT).jpegDecoder())
                .isEqualTo(TurboJpeg.system().loaded() ? JpegDecoder.TURBOJPEG : JpegDecoder.IMAGEIO);
    }

    @Test
    void everyParityImageDecodesToTheSamePixelsAsImageIo() throws Exception {
        ImageDecoder turbo = decoderWith(ImageLimits.DEFAULT);
        ImageDecoder imageio = new ImageDecoder(ImageLimits.DEFAULT, JpegDecoder.IMAGEIO);
        assertThat(turbo.jpegDecoder()).isEqualTo(JpegDecoder.TURBOJPEG);
        for (ParitySample.Cell cell : ParitySample.load("parity/parity.json").cells()) {
            byte[] bytes = Files.readAllBytes(cell.image());

            DecodedImage fast = turbo.decode(bytes);
            DecodedImage reference = imageio.decode(bytes);

            assertThat(fast.width()).isEqualTo(reference.width());
            assertThat(fast.height()).isEqualTo(reference.height());
            assertThat(fast.rgb()).as(cell.image().getFileName().toString()).isEqualTo(reference.rgb());
        }
    }

    @Test
    void greyJpegHasItsSampleInAllThreeChannelsAsWithImageIo() throws Exception {
        BufferedImage grey = new BufferedImage(48, 40, BufferedImage.TYPE_BYTE_GRAY);
        Random random = new Random(7);
        for (int y = 0; y < 40; y++) {
            for (int x = 0; x < 48; x++) {
                grey.getRaster().setSample(x, y, 0, (x * 5 + y * 3 + random.nextInt(9)) & 0xFF);
            }
        }
        byte[] bytes = encode(grey, "jpeg");

        DecodedImage image = decoderWith(ImageLimits.DEFAULT).decode(bytes);

        assertThat(image.rgb()).isEqualTo(new ImageDecoder(ImageLimits.DEFAULT, JpegDecoder.IMAGEIO).decode(bytes).rgb());
        int p = image.pixel(20, 20);
        assertThat(p >> 16).isEqualTo((p >> 8) & 0xFF).isEqualTo(p & 0xFF);
    }

    @Test
    void decodingIntoTheTensorGivesWhatFitAndWriteGivesForAnySize() throws Exception {
        CellPreprocessor preprocessor = new CellPreprocessor(CellModelMetadata.fromCustomMetadata(FixtureModel.metadata()));
        ImageDecoder decoder = decoderWith(ImageLimits.DEFAULT);
        BufferedImage colour = new BufferedImage(preprocessor.width(), preprocessor.height(), BufferedImage.TYPE_3BYTE_BGR);
        Random random = new Random(11);
        for (int y = 0; y < colour.getHeight(); y++) {
            for (int x = 0; x < colour.getWidth(); x++) {
                colour.setRGB(x, y, (x * 2) << 16 | (y * 2) << 8 | random.nextInt(64));
            }
        }
        for (byte[] bytes : new byte[][]{encode(colour, "jpeg"), Files.readAllBytes(
                ParitySample.load("parity/parity.json").cells().get(0).image())}) {
            FloatBuffer viaRgb = FloatBuffer.allocate(2 * preprocessor.valuesPerImage());
            FloatBuffer direct = FloatBuffer.allocate(2 * preprocessor.valuesPerImage());

            preprocessor.fitAndWrite(decoder.decode(bytes), viaRgb, 1);
            decoder.decodeInto(bytes, preprocessor, direct, 1);

            assertThat(direct.array()).containsExactly(viaRgb.array());
        }
    }

    private static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, format, out);
        return out.toByteArray();
    }
}
