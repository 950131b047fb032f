package org.hemastream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;

import javax.imageio.ImageIO;

import org.hemastream.inference.ImageRejectedException.Reason;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {

    private static byte[] jpeg;
    private final ImageDecoder decoder = decoderWith(ImageLimits.DEFAULT);

    /** The decoder under test: ImageIO for JPEGs here, TurboJPEG in {@link TurboJpegImageDecoderTest}. */
    ImageDecoder decoderWith(ImageLimits limits) {
        return new ImageDecoder(limits, JpegDecoder.IMAGEIO);
    }

    @BeforeAll
    static void loadSampleJpeg() throws IOException {
        jpeg = Files.readAllBytes(ParitySample.load("parity/parity.json").cells().get(0).image());
    }

    @Test
    void decodesDatasetJpegToRgbPixelsOfItsDeclaredSize() throws Exception {
        DecodedImage image = decoder.decode(jpeg);
        BufferedImage reference = ImageIO.read(new java.io.ByteArrayInputStream(jpeg));

        assertThat(image.width()).isEqualTo(reference.getWidth());
        assertThat(image.height()).isEqualTo(reference.getHeight());
        assertThat(image.pixel(5, 7)).isEqualTo(reference.getRGB(5, 7) & 0xFFFFFF);
    }

    @Test
    void decodesPngWithAlphaDroppingTheAlpha() throws Exception {
        BufferedImage argb = new BufferedImage(3, 2, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(1, 1, 0x80123456);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(argb, "png", png);

        DecodedImage image = decoder.decode(png.toByteArray());

        assertThat(image.width()).isEqualTo(3);
        assertThat(image.pixel(1, 1)).isEqualTo(0x123456);
    }

    @Test
    void emptyOrMissingBytesAreRejectedAsEmpty() {
        assertRejected(new byte[0], Reason.EMPTY);
        assertRejected(null, Reason.EMPTY);
    }

    @Test
    void bytesOverTheLimitAreRejectedBeforeLookingAtThem() {
        ImageDecoder small = decoderWith(new ImageLimits(jpeg.length - 1, 1_000_000));

        Throwable thrown = catchThrowable(() -> small.decode(jpeg));

        assertThat(thrown).isInstanceOf(ImageRejectedException.class);
        assertThat(((ImageRejectedException) thrown).reason()).isEqualTo(Reason.TOO_MANY_BYTES);
    }

    @Test
    void textIsNotAnImage() {
        assertRejected("{\"hello\": \"world\"}".getBytes(StandardCharsets.UTF_8), Reason.NOT_AN_IMAGE);
        assertRejected(new byte[]{(byte) 0xFF}, Reason.NOT_AN_IMAGE);
    }

    @Test
    void truncatedJpegIsRejectedAsCorrupt() {
        assertRejected(Arrays.copyOf(jpeg, jpeg.length * 6 / 10), Reason.CORRUPT);
    }

    @Test
    void truncatedJpegWithEndMarkerAppendedIsCaughtByTheDecoderWarning() {
        byte[] cut = Arrays.copyOf(jpeg, jpeg.length * 6 / 10 + 2);
        cut[cut.length - 2] = (byte) 0xFF;
        cut[cut.length - 1] = (byte) 0xD9;

        assertRejected(cut, Reason.CORRUPT);
    }

    @Test
    void jpegHeaderDeclaringHugeDimensionsIsRejectedBeforeDecoding() {
        byte[] bomb = jpeg.clone();
        int sof = findStartOfFrame(bomb);
        // SOFn: FF Cn, length(2), precision(1), height(2), width(2): declare 50000 x 50000.
        bomb[sof + 5] = (byte) (50000 >> 8);
        bomb[sof + 6] = (byte) (50000 & 0xFF);
        bomb[sof + 7] = (byte) (50000 >> 8);
        bomb[sof + 8] = (byte) (50000 & 0xFF);

        assertRejected(bomb, Reason.TOO_MANY_PIXELS);
    }

    @Test
    void pngHeaderDeclaringHugeDimensionsIsRejectedBeforeDecoding() throws IOException {
        assertRejected(handMadePng(50_000, 50_000, new byte[]{0x78, (byte) 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}),
                Reason.TOO_MANY_PIXELS);
    }

    @Test
    void pngWithValidHeaderButMissingPixelDataIsCorrupt() throws IOException {
        assertRejected(handMadePng(16, 16, new byte[]{0x78, (byte) 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}),
                Reason.CORRUPT);
    }

    @Test
    void truncatedPngIsRejectedAsCorrupt() throws IOException {
        BufferedImage rgb = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        new Random(1).ints(64 * 64).forEach(v -> rgb.setRGB(Math.abs(v % 64), Math.abs((v / 64) % 64), v));
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(rgb, "png", png);
        byte[] bytes = png.toByteArray();

        assertRejected(Arrays.copyOf(bytes, bytes.length / 2), Reason.CORRUPT);
    }

    @Test
    void jpegSignatureFollowedByGarbageIsCorrupt() {
        byte[] garbage = new byte[400];
        new Random(3).nextBytes(garbage);
        garbage[0] = (byte) 0xFF;
        garbage[1] = (byte) 0xD8;
        garbage[2] = (byte) 0xFF;
        garbage[398] = (byte) 0xFF;
        garbage[399] = (byte) 0xD9;

        assertRejected(garbage, Reason.CORRUPT);
    }

    @Test
    void randomlyDamagedImagesEitherDecodeOrAreRejectedWithAReasonAndTheJvmSurvives() throws IOException {
        byte[] png = pngOf(decoderSafeImage());
        Random random = new Random(42);
        int rejected = 0;
        for (int i = 0; i < 300; i++) {
            byte[] damaged = (i % 2 == 0 ? jpeg : png).clone();
            for (int k = 0; k < 1 + random.nextInt(8); k++) {
                damaged[random.nextInt(damaged.length)] = (byte) random.nextInt(256);
            }
            try {
                DecodedImage image = decoder.decode(damaged);
                assertThat(image.rgb()).hasSize(image.width() * image.height());
            } catch (ImageRejectedException e) {
                assertThat(e.reason()).isNotNull();
                rejected++;
            }
        }
        assertThat(rejected).isPositive();
    }

    private void assertRejected(byte[] bytes, Reason reason) {
        assertThatThrownBy(() -> decoder.decode(bytes))
                .isInstanceOf(ImageRejectedException.class)
                .satisfies(e -> assertThat(((ImageRejectedException) e).reason()).isEqualTo(reason));
    }

    private static int findStartOfFrame(byte[] b) {
        for (int i = 2; i + 1 < b.length; i++) {
            int m = b[i + 1] & 0xFF;
            if ((b[i] & 0xFF) == 0xFF && (m == 0xC0 || m == 0xC1 || m == 0xC2)) {
                return i;
            }
        }
        throw new AssertionError("no SOF marker in the sample JPEG");
    }

    /** Signature, IHDR (8-bit RGB) with the given size, one IDAT, IEND; CRCs computed by hand. */
    private static byte[] handMadePng(int width, int height, byte[] idat) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream h = new DataOutputStream(ihdr);
        h.writeInt(width);
        h.writeInt(height);
        h.write(new byte[]{8, 2, 0, 0, 0});
        chunk(out, "IHDR", ihdr.toByteArray());
        chunk(out, "IDAT", idat);
        chunk(out, "IEND", new byte[0]);
        return bytes.toByteArray();
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        out.writeInt(data.length);
        out.write(typeBytes);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeInt((int) crc.getValue());
    }

    private static BufferedImage decoderSafeImage() {
        BufferedImage image = new BufferedImage(40, 30, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 40; x++) {
                image.setRGB(x, y, (x * 6) << 16 | (y * 8) << 8 | (x + y));
            }
        }
        return image;
    }

    private static byte[] pngOf(BufferedImage image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
