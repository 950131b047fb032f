package org.hemastream.inference;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * What a cell model says about itself in its ONNX custom metadata (contract {@value #CONTRACT}): input
 * tensor, normalisation, cell types, attributes and thresholds. The service derives every class name,
 * size and constant from here, so any model obeying the contract can be dropped in.
 *
 * <p>Immutable and thread-safe. Build it with {@link #fromCustomMetadata(Map)}, which validates every key
 * and throws {@link InvalidModelMetadataException} naming the key at fault.
 *
 * @param modelVersion   free text, e.g. {@code cellnet-1.0.0}
 * @param input          the input tensor
 * @param normalization  how 8-bit pixels become tensor values
 * @param cellTypeOutput name of the output holding cell-type probabilities, shape [N, cellTypes.size()]
 * @param cellTypes      class names in the order of that output
 * @param attributes     morphological attributes, each one output of probabilities over its values
 * @param thresholds     per-class decision thresholds on probability, e.g. {@code blast -> 0.15}
 * @param trainingData   the model's training summary, raw JSON
 * @param slideAlertRule the per-slide alert rule the model ships ({@value #KEY_SLIDE_ALERT_RULE}, optional:
 *                       {@link SlideAlertRule#DEFAULT} when absent), or the one a site profile replaced it with
 */
public record CellModelMetadata(String modelVersion, InputSpec input, Normalization normalization,
                                String cellTypeOutput, List<String> cellTypes, List<AttributeSpec> attributes,
                                Map<String, Double> thresholds, String trainingData, SlideAlertRule slideAlertRule) {

    public static final String CONTRACT = "cell-classifier/1";
    public static final String KEY_CONTRACT = "hemastream.contract";
    public static final String KEY_MODEL_VERSION = "hemastream.model_version";
    public static final String KEY_INPUT = "hemastream.input";
    public static final String KEY_NORMALIZATION = "hemastream.normalization";
    public static final String KEY_CELL_TYPES = "hemastream.cell_types";
    public static final String KEY_ATTRIBUTES = "hemastream.attributes";
    public static final String KEY_THRESHOLDS = "hemastream.thresholds";
    public static final String KEY_TRAINING_DATA = "hemastream.training_data";
    /** Optional: the per-slide alert rule chosen with the model, JSON (see {@link SlideAlertRule}). */
    public static final String KEY_SLIDE_ALERT_RULE = "hemastream.slide_alert_rule";
    /** Every key the contract requires, in the order they are checked. */
    public static final List<String> REQUIRED_KEYS = List.of(KEY_CONTRACT, KEY_MODEL_VERSION, KEY_INPUT,
            KEY_NORMALIZATION, KEY_CELL_TYPES, KEY_ATTRIBUTES, KEY_THRESHOLDS, KEY_TRAINING_DATA);
    /**
     * The thresholds key, and class name, of blasts: a cell counts as a blast for alerting when the
     * probability of the class of this name reaches {@code thresholds.blast}.
     */
    public static final String BLAST = "blast";

    private static final int MAX_SIDE = 4096;

    /**
     * The input tensor: {@code float32 [N, 3, height, width]}.
     *
     * @param channels channel order of the tensor, {@code RGB} or {@code BGR}
     * @param resize   how the model expects other sizes to be brought to width x height (documentation)
     */
    public record InputSpec(String name, String layout, String channels, int width, int height, String resize) {
        /** True when tensor channel 0 is red. */
        public boolean rgbOrder() {
            return "RGB".equals(channels);
        }
    }

    /**
     * Tensor value of channel {@code c} = {@code (pixel * scale - mean[c]) / std[c]}, pixel in 0..255,
     * channels in the tensor's order.
     */
    public record Normalization(double scale, List<Double> mean, List<Double> std) {
        public Normalization {
            mean = List.copyOf(mean);
            std = List.copyOf(std);
        }
    }

    /** One morphological attribute: probabilities over {@code values} in output {@code output}. */
    public record AttributeSpec(String name, String output, List<String> values) {
        public AttributeSpec {
            values = List.copyOf(values);
        }
    }

    /**
     * When a slide's cells flagged blast page a hematologist: at least {@code minBlastCells} flagged cells
     * and at least {@code minBlastFraction} of the slide's classified cells.
     *
     * @param minBlastCells    flagged cells needed, &gt;= 1
     * @param minBlastFraction fraction of classified cells that must be flagged, 0..1
     * @param origin           where the rule comes from, for the start-up log (e.g. the model's metadata)
     * @param evidence         what the rule was chosen on and how it did there (the metadata's other
     *                         fields, raw JSON; {@code {}} when none)
     */
    public record SlideAlertRule(int minBlastCells, double minBlastFraction, String origin, String evidence) {

        /** The rule of a model without {@value #KEY_SLIDE_ALERT_RULE}: one flagged cell pages. */
        public static final SlideAlertRule DEFAULT = new SlideAlertRule(1, 0.0,
                "default (the model has no " + KEY_SLIDE_ALERT_RULE + ")", "{}");

        public SlideAlertRule {
            if (minBlastCells < 1) {
                throw new IllegalArgumentException("minBlastCells must be >= 1, was " + minBlastCells);
            }
            if (!(minBlastFraction >= 0 && minBlastFraction <= 1)) {
                throw new IllegalArgumentException("minBlastFraction must be in 0..1, was " + minBlastFraction);
            }
        }

        /** Whether {@code flagged} of {@code classified} cells meet the rule. */
        public boolean met(int flagged, int classified) {
            // flagged / classified >= fraction, computed as train_cells.py does when it chooses the rule
            return flagged >= minBlastCells && classified > 0 && (double) flagged / classified >= minBlastFraction;
        }

        @Override
        public String toString() {
            return "minBlastCells=" + minBlastCells + " minBlastFraction=" + minBlastFraction + " (" + origin + ")";
        }
    }

    public CellModelMetadata {
        cellTypes = List.copyOf(cellTypes);
        attributes = List.copyOf(attributes);
        thresholds = Map.copyOf(thresholds);
        java.util.Objects.requireNonNull(slideAlertRule, "slideAlertRule");
    }

    /**
     * The same model with another blast threshold and slide rule (a site profile's calibration).
     *
     * @throws IllegalArgumentException when the model has no blast class or the threshold is not in 0..1
     */
    public CellModelMetadata withBlastCalibration(double blastThreshold, SlideAlertRule rule) {
        if (cellTypeIndex(BLAST) < 0) {
            throw new IllegalArgumentException("the model has no '" + BLAST + "' class to calibrate");
        }
        if (!(blastThreshold >= 0 && blastThreshold <= 1)) {
            throw new IllegalArgumentException("blast threshold must be in 0..1, was " + blastThreshold);
        }
        Map<String, Double> t = new LinkedHashMap<>(thresholds);
        t.put(BLAST, blastThreshold);
        return new CellModelMetadata(modelVersion, input, normalization, cellTypeOutput, cellTypes, attributes, t,
                trainingData, rule);
    }

    /** Index of {@code cellType} in {@link #cellTypes()}, or -1 when the model has no such class. */
    public int cellTypeIndex(String cellType) {
        return cellTypes.indexOf(cellType);
    }

    /** The shipped blast threshold, empty when the model has no {@value #BLAST} class. */
    public OptionalDouble blastThreshold() {
        Double t = thresholds.get(BLAST);
        return t == null ? OptionalDouble.empty() : OptionalDouble.of(t);
    }

    /**
     * Reads and validates the contract from ONNX custom metadata ({@code session.getMetadata()
     * .getCustomMetadata()}).
     *
     * @throws InvalidModelMetadataException naming the first key that is missing or invalid
     */
    public static CellModelMetadata fromCustomMetadata(Map<String, String> custom) {
        String contract = required(custom, KEY_CONTRACT);
        if (!CONTRACT.equals(contract.strip())) {
            throw new InvalidModelMetadataException(KEY_CONTRACT, "expected '" + CONTRACT + "', was '" + contract + "'");
        }
        String version = required(custom, KEY_MODEL_VERSION).strip();
        if (version.isEmpty()) {
            throw new InvalidModelMetadataException(KEY_MODEL_VERSION, "is empty");
        }
        InputSpec input = parseInput(object(custom, KEY_INPUT));
        Normalization normalization = parseNormalization(object(custom, KEY_NORMALIZATION));

        JsonObject types = object(custom, KEY_CELL_TYPES);
        String typeOutput = string(types, "output", KEY_CELL_TYPES);
        List<String> classes = distinctStrings(types, "classes", KEY_CELL_TYPES);

        List<AttributeSpec> attributes = parseAttributes(array(custom, KEY_ATTRIBUTES), typeOutput);
        Map<String, Double> thresholds = parseThresholds(object(custom, KEY_THRESHOLDS), classes);
        String trainingData = required(custom, KEY_TRAINING_DATA);
        parseJson(KEY_TRAINING_DATA, trainingData);
        SlideAlertRule rule = custom.containsKey(KEY_SLIDE_ALERT_RULE)
                ? parseSlideAlertRule(object(custom, KEY_SLIDE_ALERT_RULE), version) : SlideAlertRule.DEFAULT;
        return new CellModelMetadata(version, input, normalization, typeOutput, classes, attributes, thresholds,
                trainingData, rule);
    }

    /**
     * {@code {"minBlastCells": 3, "minBlastFraction": 0.01, ...}}: minBlastCells an integer &gt;= 1,
     * minBlastFraction a number in 0..1 (absent = 0); other fields (how the rule was chosen) are kept as evidence.
     */
    private static SlideAlertRule parseSlideAlertRule(JsonObject o, String version) {
        Object cells = o.getValue("minBlastCells");
        if (!(cells instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < 1
                || n.doubleValue() > 1_000_000) {
            throw new InvalidModelMetadataException(KEY_SLIDE_ALERT_RULE,
                    "minBlastCells must be an integer >= 1, was " + cells);
        }
        Object fraction = o.getValue("minBlastFraction", 0.0);
        if (!(fraction instanceof Number f) || !(f.doubleValue() >= 0 && f.doubleValue() <= 1)) {
            throw new InvalidModelMetadataException(KEY_SLIDE_ALERT_RULE,
                    "minBlastFraction must be a number in 0..1, was " + fraction);
        }
        JsonObject evidence = o.copy();
        evidence.remove("minBlastCells");
        evidence.remove("minBlastFraction");
        return new SlideAlertRule(n.intValue(), f.doubleValue(), "model metadata of " + version, evidence.encode());
    }

    private static InputSpec parseInput(JsonObject o) {
        String name = string(o, "name", KEY_INPUT);
        String layout = string(o, "layout", KEY_INPUT);
        if (!"NCHW".equals(layout)) {
            throw new InvalidModelMetadataException(KEY_INPUT, "layout must be NCHW, was '" + layout + "'");
        }
        String channels = string(o, "channels", KEY_INPUT);
        if (!"RGB".equals(channels) && !"BGR".equals(channels)) {
            throw new InvalidModelMetadataException(KEY_INPUT, "channels must be RGB or BGR, was '" + channels + "'");
        }
        int width = side(o, "width");
        int height = side(o, "height");
        String resize = o.getValue("resize") instanceof String s ? s : "";
        return new InputSpec(name, layout, channels, width, height, resize);
    }

    private static int side(JsonObject o, String field) {
        Object v = o.getValue(field);
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
                || n.doubleValue() < 1 || n.doubleValue() > MAX_SIDE) {
            throw new InvalidModelMetadataException(KEY_INPUT,
                    field + " must be an integer in 1.." + MAX_SIDE + ", was " + v);
        }
        return n.intValue();
    }

    private static Normalization parseNormalization(JsonObject o) {
        double scale = finite(o.getValue("scale"), "scale");
        if (scale <= 0) {
            throw new InvalidModelMetadataException(KEY_NORMALIZATION, "scale must be > 0, was " + scale);
        }
        List<Double> mean = threeNumbers(o, "mean");
        List<Double> std = threeNumbers(o, "std");
        for (double s : std) {
            if (s == 0) {
                throw new InvalidModelMetadataException(KEY_NORMALIZATION, "std must not contain 0");
            }
        }
        return new Normalization(scale, mean, std);
    }

    private static List<Double> threeNumbers(JsonObject o, String field) {
        if (!(o.getValue(field) instanceof JsonArray a) || a.size() != 3) {
            throw new InvalidModelMetadataException(KEY_NORMALIZATION, field + " must be an array of 3 numbers");
        }
        List<Double> out = new ArrayList<>(3);
        for (Object v : a) {
            out.add(finite(v, field));
        }
        return out;
    }

    private static double finite(Object v, String field) {
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
            throw new InvalidModelMetadataException(KEY_NORMALIZATION, field + " must be a finite number, was " + v);
        }
        return n.doubleValue();
    }

    private static List<AttributeSpec> parseAttributes(JsonArray array, String typeOutput) {
        List<AttributeSpec> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Set<String> outputs = new HashSet<>(Set.of(typeOutput));
        for (int i = 0; i < array.size(); i++) {
            if (!(array.getValue(i) instanceof JsonObject o)) {
                throw new InvalidModelMetadataException(KEY_ATTRIBUTES, "element " + i + " is not an object");
            }
            String where = KEY_ATTRIBUTES;
            String name = string(o, "name", where);
            String output = string(o, "output", where);
            List<String> values = distinctStrings(o, "values", where);
            if (!names.add(name)) {
                throw new InvalidModelMetadataException(KEY_ATTRIBUTES, "attribute '" + name + "' appears twice");
            }
            if (!outputs.add(output)) {
                throw new InvalidModelMetadataException(KEY_ATTRIBUTES, "output '" + output + "' is used twice");
            }
            out.add(new AttributeSpec(name, output, values));
        }
        return out;
    }

    private static Map<String, Double> parseThresholds(JsonObject o, List<String> classes) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String cls : o.fieldNames()) {
            Object v = o.getValue(cls);
            if (!(v instanceof Number n) || !(n.doubleValue() >= 0 && n.doubleValue() <= 1)) {
                throw new InvalidModelMetadataException(KEY_THRESHOLDS,
                        "threshold of '" + cls + "' must be a probability in 0..1, was " + v);
            }
            if (!classes.contains(cls)) {
                throw new InvalidModelMetadataException(KEY_THRESHOLDS,
                        "threshold for '" + cls + "', which is not one of the cell types " + classes);
            }
            out.put(cls, n.doubleValue());
        }
        return out;
    }

    private static String required(Map<String, String> custom, String key) {
        String v = custom == null ? null : custom.get(key);
        if (v == null) {
            throw new InvalidModelMetadataException(key, "missing (the model does not follow contract " + CONTRACT + ")");
        }
        return v;
    }

    private static Object parseJson(String key, String text) {
        try {
            return Json.decodeValue(text);
        } catch (DecodeException | IllegalArgumentException e) {
            throw new InvalidModelMetadataException(key, "not valid JSON: " + e.getMessage(), e);
        }
    }

    private static JsonObject object(Map<String, String> custom, String key) {
        if (parseJson(key, required(custom, key)) instanceof JsonObject o) {
            return o;
        }
        throw new InvalidModelMetadataException(key, "must be a JSON object");
    }

    private static JsonArray array(Map<String, String> custom, String key) {
        if (parseJson(key, required(custom, key)) instanceof JsonArray a) {
            return a;
        }
        throw new InvalidModelMetadataException(key, "must be a JSON array");
    }

    private static String string(JsonObject o, String field, String key) {
        if (o.getValue(field) instanceof String s && !s.isBlank()) {
            return s;
        }
        throw new InvalidModelMetadataException(key, "'" + field + "' must be a non-empty string");
    }

    private static List<String> distinctStrings(JsonObject o, String field, String key) {
        if (!(o.getValue(field) instanceof JsonArray a) || a.isEmpty()) {
            throw new InvalidModelMetadataException(key, "'" + field + "' must be a non-empty array of strings");
        }
        List<String> out = new ArrayList<>(a.size());
        for (Object v : a) {
            if (!(v instanceof String s) || s.isBlank()) {
                throw new InvalidModelMetadataException(key, "'" + field + "' contains " + v + ", not a name");
            }
            if (out.contains(s)) {
                throw new InvalidModelMetadataException(key, "'" + field + "' lists '" + s + "' twice");
            }
            out.add(s);
        }
        return out;
    }
}
