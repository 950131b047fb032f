package org.hemastream.inference;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A Java/Python parity sample: images plus the probabilities the Python code computed for them, as
 * written by {@code train_cells.py --parity-out} (or {@code make_fixture_model.py} for the fixture).
 */
public record ParitySample(String modelVersion, Path folder, List<Cell> cells) {

    /** One image with its label (when known) and every model output, by output name. */
    public record Cell(Path image, String label, String source, Map<String, double[]> outputs) {
    }

    /** Loads a parity JSON from the test classpath, e.g. {@code parity/parity.json}. */
    public static ParitySample load(String resource) throws IOException {
        URL url = ParitySample.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IOException("test resource " + resource + " is missing");
        }
        Path json;
        try {
            json = Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        JsonObject root = new JsonObject(Files.readString(json));
        List<Cell> cells = new ArrayList<>();
        for (Object o : root.getJsonArray("cells")) {
            JsonObject c = (JsonObject) o;
            Map<String, double[]> outputs = new LinkedHashMap<>();
            JsonObject outs = c.getJsonObject("outputs");
            for (String name : outs.fieldNames()) {
                JsonArray a = outs.getJsonArray(name);
                double[] v = new double[a.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = a.getDouble(i);
                }
                outputs.put(name, v);
            }
            cells.add(new Cell(json.getParent().resolve(c.getString("file")), c.getString("label"),
                    c.getString("source"), outputs));
        }
        return new ParitySample(root.getString("model_version"), json.getParent(), cells);
    }

    /** Decodes every image with default limits, in order (JPEGs with TurboJPEG when it loads). */
    public List<DecodedImage> decodeAll() throws IOException, ImageRejectedException {
        return decodeAll(new ImageDecoder(ImageLimits.DEFAULT));
    }

    /** Decodes every image with the given decoder, in order. */
    public List<DecodedImage> decodeAll(ImageDecoder decoder) throws IOException, ImageRejectedException {
        List<DecodedImage> images = new ArrayList<>();
        for (Cell c : cells) {
            images.add(decoder.decode(Files.readAllBytes(c.image())));
        }
        return images;
    }
}
