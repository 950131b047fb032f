package org.hemastream.pipeline;

import java.util.LinkedHashMap;
import java.util.Map;

/** Parses the Prometheus text exposition format into sample name{labels} → value; fails on a malformed line. */
final class PrometheusText {

    static Map<String, Double> parse(String text) {
        Map<String, Double> samples = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int split = line.lastIndexOf(' ');
            if (split <= 0) {
                throw new IllegalArgumentException("malformed sample line: " + line);
            }
            String value = line.substring(split + 1);
            samples.put(line.substring(0, split), switch (value) {
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                case "NaN" -> Double.NaN;
                default -> Double.parseDouble(value);
            });
        }
        return samples;
    }

    private PrometheusText() {
    }
}
