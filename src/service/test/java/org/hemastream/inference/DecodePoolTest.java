package org.hemastream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;

/** The decode pool fills each cell's own slot whoever decodes it, and a failure reaches the session. */
class DecodePoolTest {

    private final CellPreprocessor preprocessor =
            new CellPreprocessor(CellModelMetadata.fromCustomMetadata(FixtureModel.metadata()));
    private final ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);

    @Test
    void everyCellLandsInItsOwnSlotAndRefusalsAreReportedByPosition() throws Exception {
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            images.add(i % 5 == 3 ? new byte[]{1, 2, 3} : png(i * 10));
        }
        FloatBuffer tensor = FloatBuffer.allocate(images.size() * preprocessor.valuesPerImage());
        try (DecodePool pool = new DecodePool(3)) {
            ImageRejectedException[] refused = pool.decode(images, decoder, preprocessor, tensor);

            for (int i = 0; i < images.size(); i++) {
                if (i % 5 == 3) {
                    assertThat(refused[i]).as("cell %d", i).isNotNull();
                } else {
                    assertThat(refused[i]).as("cell %d", i).isNull();
                    FloatBuffer alone = FloatBuffer.allocate(preprocessor.valuesPerImage());
                    decoder.decodeInto(images.get(i), preprocessor, alone, 0);
                    float[] slot = new float[preprocessor.valuesPerImage()];
                    tensor.get(i * slot.length, slot);
                    assertThat(slot).as("cell %d", i).containsExactly(alone.array());
                }
            }
            assertThat(pool.cpuNanos()).isPositive();
        }
    }

    @Test
    void aFailureOutsideTheImageReachesTheSessionInsteadOfHangingIt() throws Exception {
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            images.add(png(i));
        }
        FloatBuffer tooSmall = FloatBuffer.allocate(2 * preprocessor.valuesPerImage());
        try (DecodePool pool = new DecodePool(2)) {
            assertThatThrownBy(() -> pool.decode(images, decoder, preprocessor, tooSmall))
                    .isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    private static byte[] png(int grey) throws IOException {
        BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                image.setRGB(x, y, (grey + x) << 16 | (grey + y) << 8 | (x * y) & 0xFF);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
