package org.hemastream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Random;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;

/**
 * Images go from the raster ImageIO returns straight into the tensor, with the pixels PIL's
 * {@code convert("RGB")} gives the training code, for every raster type the JDK's JPEG and PNG readers return.
 */
class RasterPixelsTest {

    private static final int SIZE = 32; // the fixture model's input

    private final CellPreprocessor preprocessor =
            new CellPreprocessor(CellModelMetadata.fromCustomMetadata(FixtureModel.metadata()));
    private final ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);

    @Test
    void colourJpegGoesIntoTheTensorWithTheValuesOfTheRgbPath() throws Exception {
        byte[] jpeg = encode(noise(BufferedImage.TYPE_3BYTE_BGR, 1), "jpg");
        BufferedImage reference = ImageIO.read(new ByteArrayInputStream(jpeg));

        assertThat(reference.getType()).isEqualTo(BufferedImage.TYPE_3BYTE_BGR);
        assertThat(tensorOf(jpeg)).containsExactly(expectedTensor(rgbOf(reference)));
    }

    @Test
    void pngRgbRgbaAndSixteenBitColourKeepTheirColourSamplesAndDropAlpha() throws Exception {
        for (BufferedImage image : new BufferedImage[]{noise(BufferedImage.TYPE_INT_RGB, 2),
                noise(BufferedImage.TYPE_INT_ARGB, 3), noise(BufferedImage.TYPE_4BYTE_ABGR, 4), sixteenBitRgb()}) {
            byte[] png = encode(image, "png");
            int[] expected = rgbOf(ImageIO.read(new ByteArrayInputStream(png)));

            assertThat(decoder.decode(png).rgb()).as("png from type %d", image.getType()).containsExactly(expected);
            assertThat(tensorOf(png)).containsExactly(expectedTensor(expected));
        }
    }

    @Test
    void greyPixelsAreRepeatedInEveryChannelAsPilDoesNotMappedToSrgb() throws Exception {
        BufferedImage grey = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(3, 5, 0, 128);
        for (String format : new String[]{"png", "jpg"}) {
            byte[] bytes = encode(grey, format);
            BufferedImage read = ImageIO.read(new ByteArrayInputStream(bytes));
            int sample = read.getRaster().getSample(3, 5, 0);

            DecodedImage decoded = decoder.decode(bytes);

            assertThat(read.getType()).isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
            assertThat(decoded.pixel(3, 5)).as(format).isEqualTo(sample << 16 | sample << 8 | sample);
            assertThat(read.getRGB(3, 5) & 0xFF).as("getRGB's linear-to-sRGB mapping, which PIL does not do")
                    .isNotEqualTo(sample);
            assertThat(tensorOf(bytes)).containsExactly(expectedTensor(decoded.rgb()));
        }
    }

    @Test
    void palettePngGivesThePaletteColours() throws Exception {
        byte[] reds = new byte[256];
        byte[] greens = new byte[256];
        byte[] blues = new byte[256];
        for (int i = 0; i < 256; i++) {
            reds[i] = (byte) i;
            greens[i] = (byte) (255 - i);
            blues[i] = (byte) (i * 7);
        }
        BufferedImage indexed = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(8, 256, reds, greens, blues));
        Random random = new Random(5);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                indexed.getRaster().setSample(x, y, 0, random.nextInt(256));
            }
        }
        byte[] png = encode(indexed, "png");
        BufferedImage read = ImageIO.read(new ByteArrayInputStream(png));
        int index = read.getRaster().getSample(7, 9, 0);

        assertThat(read.getColorModel()).isInstanceOf(IndexColorModel.class);
        assertThat(decoder.decode(png).pixel(7, 9)).isEqualTo(index << 16 | (255 - index) << 8 | (index * 7) & 0xFF);
        assertThat(tensorOf(png)).containsExactly(expectedTensor(rgbOf(read)));
    }

    @Test
    void imagesOfAnotherSizeAreFittedBeforeTheyAreWritten() throws Exception {
        BufferedImage image = new BufferedImage(40, 30, BufferedImage.TYPE_3BYTE_BGR);
        Random random = new Random(6);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 40; x++) {
                image.setRGB(x, y, random.nextInt());
            }
        }
        byte[] png = encode(image, "png");
        FloatBuffer expected = FloatBuffer.allocate(preprocessor.valuesPerImage());
        preprocessor.fitAndWrite(decoder.decode(png), expected, 0);

        assertThat(tensorOf(png)).containsExactly(expected.array());
    }

    @Test
    void aReaderThatFailedIsReplacedAndTheNextImageDecodesAsAlone() throws Exception {
        byte[] good = encode(noise(BufferedImage.TYPE_3BYTE_BGR, 7), "jpg");
        byte[] damaged = good.clone();
        Arrays.fill(damaged, 200, damaged.length - 2, (byte) 0x55);
        float[] alone = tensorOf(good);

        assertThatThrownBy(() -> decoder.decode(damaged)).isInstanceOf(ImageRejectedException.class);

        assertThat(tensorOf(good)).containsExactly(alone);
    }

    @Test
    void aRefusedImageLeavesTheTensorUntouched() {
        FloatBuffer tensor = FloatBuffer.allocate(preprocessor.valuesPerImage());
        Arrays.fill(tensor.array(), 9f);

        assertThatThrownBy(() -> decoder.decodeInto(new byte[]{1, 2, 3}, preprocessor, tensor, 0))
                .isInstanceOf(ImageRejectedException.class);
        assertThat(tensor.array()).containsOnly(9f);
    }

    private float[] tensorOf(byte[] bytes) throws ImageRejectedException {
        FloatBuffer tensor = FloatBuffer.allocate(2 * preprocessor.valuesPerImage());
        decoder.decodeInto(bytes, preprocessor, tensor, 1);
        return Arrays.copyOfRange(tensor.array(), preprocessor.valuesPerImage(), 2 * preprocessor.valuesPerImage());
    }

    private float[] expectedTensor(int[] rgb) {
        FloatBuffer tensor = FloatBuffer.allocate(preprocessor.valuesPerImage());
        preprocessor.write(new DecodedImage(SIZE, SIZE, rgb), tensor, 0);
        return tensor.array();
    }

    private static int[] rgbOf(BufferedImage image) {
        int[] rgb = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] &= 0xFFFFFF;
        }
        return rgb;
    }

    private static BufferedImage noise(int type, long seed) {
        BufferedImage image = new BufferedImage(SIZE, SIZE, type);
        Random random = new Random(seed);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                image.setRGB(x, y, random.nextInt());
            }
        }
        return image;
    }

    /** 16 bits per sample: a raster the fast path does not read, decoded through getRGB. */
    private static BufferedImage sixteenBitRgb() {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = cm.createCompatibleWritableRaster(SIZE, SIZE);
        Random random = new Random(8);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                for (int b = 0; b < 3; b++) {
                    raster.setSample(x, y, b, random.nextInt(256) * 257);
                }
            }
        }
        return new BufferedImage(cm, raster, false, null);
    }

    private static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(image, format, out)) {
            throw new IOException("no " + format + " writer for type " + image.getType());
        }
        return out.toByteArray();
    }
}
