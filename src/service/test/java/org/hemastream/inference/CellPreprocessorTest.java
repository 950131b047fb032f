package org.hemastream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.util.Map;

import org.junit.jupiter.api.Test;

class CellPreprocessorTest {

    private final CellPreprocessor preprocessor =
            new CellPreprocessor(CellModelMetadata.fromCustomMetadata(FixtureModel.metadata()));
    private final ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);

    @Test
    void imageOfTheModelSizePassesThroughUntouched() {
        DecodedImage image = new DecodedImage(32, 32, new int[32 * 32]);

        assertThat(preprocessor.fit(image)).isSameAs(image);
    }

    @Test
    void otherSizesAreCentreCroppedAndResampledLikePilBilinear() throws Exception {
        DecodedImage input = decoder.decode(Files.readAllBytes(FixtureModel.path("models/fixture-tiny-resize-input.png")));
        DecodedImage pil = decoder.decode(Files.readAllBytes(FixtureModel.path("models/fixture-tiny-resize-expected.png")));

        DecodedImage fitted = preprocessor.fit(input);

        assertThat(input.width()).isNotEqualTo(input.height());
        assertThat(fitted.width()).isEqualTo(32);
        assertThat(fitted.height()).isEqualTo(32);
        int maxDifference = 0;
        for (int i = 0; i < fitted.rgb().length; i++) {
            for (int shift = 0; shift <= 16; shift += 8) {
                int a = (fitted.rgb()[i] >> shift) & 0xFF;
                int b = (pil.rgb()[i] >> shift) & 0xFF;
                maxDifference = Math.max(maxDifference, Math.abs(a - b));
            }
        }
        assertThat(maxDifference).as("largest difference to PIL, grey levels").isLessThanOrEqualTo(1);
    }

    @Test
    void valuesAreNormalisedPerChannelIntoNchwPlanes() {
        int[] pixels = new int[32 * 32];
        java.util.Arrays.fill(pixels, 0x336699);
        FloatBuffer tensor = FloatBuffer.allocate(2 * preprocessor.valuesPerImage());

        preprocessor.write(new DecodedImage(32, 32, pixels), tensor, 1);

        int plane = 32 * 32;
        int base = preprocessor.valuesPerImage();
        assertThat(tensor.get(0)).isZero();
        assertThat(tensor.get(base)).isCloseTo((float) ((0x33 / 255.0 - 0.1) / 0.5), within(1e-6f));
        assertThat(tensor.get(base + plane + 7)).isCloseTo((float) ((0x66 / 255.0 - 0.2) / 0.6), within(1e-6f));
        assertThat(tensor.get(base + 2 * plane + 31)).isCloseTo((float) ((0x99 / 255.0 - 0.3) / 0.7), within(1e-6f));
    }

    @Test
    void bgrModelsGetBlueInTheFirstPlane() {
        Map<String, String> m = FixtureModel.metadata();
        m.put("hemastream.input", m.get("hemastream.input").replace("\"RGB\"", "\"BGR\""));
        CellPreprocessor bgr = new CellPreprocessor(CellModelMetadata.fromCustomMetadata(m));
        int[] pixels = new int[32 * 32];
        java.util.Arrays.fill(pixels, 0xFF0000);
        FloatBuffer tensor = FloatBuffer.allocate(bgr.valuesPerImage());

        bgr.write(new DecodedImage(32, 32, pixels), tensor, 0);

        assertThat(tensor.get(0)).isCloseTo((float) ((0 - 0.1) / 0.5), within(1e-6f));
        assertThat(tensor.get(2 * 32 * 32)).isCloseTo((float) ((1.0 - 0.3) / 0.7), within(1e-6f));
    }
}
