package org.hemastream.inference;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The TEST FIXTURE models written by {@code src/training/cells/make_fixture_model.py}: random weights,
 * classes alpha/beta/gamma, one attribute, 32x32 input, other names and normalisation than the reference.
 */
final class FixtureModel {

    static final String TINY = "models/fixture-tiny.onnx";
    static final String TINY_WITHOUT_METADATA = "models/fixture-tiny-no-metadata.onnx";
    static final String TINY_PARITY = "models/fixture-tiny-parity.json";

    private FixtureModel() {
    }

    static Path path(String resource) {
        try {
            return Path.of(FixtureModel.class.getClassLoader().getResource(resource).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource " + resource + " is missing", e);
        }
    }

    /** Custom metadata equal to the fixture's, as plain strings, for tests that edit it. */
    static Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("hemastream.contract", "cell-classifier/1");
        m.put("hemastream.model_version", "fixture-tiny-1 (TEST FIXTURE)");
        m.put("hemastream.input", "{\"name\": \"pixels\", \"layout\": \"NCHW\", \"channels\": \"RGB\", "
                + "\"width\": 32, \"height\": 32, \"resize\": \"centre-crop to square, then bilinear\"}");
        m.put("hemastream.normalization", "{\"scale\": 0.00392156862745098, \"mean\": [0.1, 0.2, 0.3], "
                + "\"std\": [0.5, 0.6, 0.7]}");
        m.put("hemastream.cell_types", "{\"output\": \"kind\", \"classes\": [\"alpha\", \"beta\", \"gamma\"]}");
        m.put("hemastream.attributes", "[{\"name\": \"shade\", \"output\": \"attr_shade\", \"values\": [\"light\", \"dark\"]}]");
        m.put("hemastream.thresholds", "{}");
        m.put("hemastream.training_data", "{\"testFixture\": true}");
        return m;
    }
}
