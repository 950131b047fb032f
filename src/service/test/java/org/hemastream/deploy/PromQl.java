package org.hemastream.deploy;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Just enough PromQL and Prometheus text format reading to compare what queries use with what a scrape
 * has: the metric names a query selects (ours, the Kafka client's, the JVM's, and {@code up}), the label
 * names in their selectors, and the labels it groups by.
 */
final class PromQl {

    /** One metric selector: {@code name{label="…", …}}. */
    record Selector(String metric, Set<String> labels) {
    }

    /** The selectors of one query and the labels of its {@code by (…)} clauses. */
    record Usage(List<Selector> metrics, Set<String> groupingLabels) {
    }

    private static final Pattern SELECTOR = Pattern.compile(
            "\\b((?:hemastream|kafka|jvm|process|system)_[A-Za-z0-9_]+|up)\\b\\s*(?:\\{([^}]*)})?");
    private static final Pattern MATCHER_LABEL = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\s*(?:=~|!~|!=|=)");
    private static final Pattern GROUPING = Pattern.compile("\\bby\\s*\\(([^)]*)\\)");
    private static final Pattern SAMPLE_LABEL = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"");

    static Usage usage(String query) {
        List<Selector> selectors = new java.util.ArrayList<>();
        Matcher m = SELECTOR.matcher(query);
        while (m.find()) {
            Set<String> labels = new LinkedHashSet<>();
            if (m.group(2) != null) {
                Matcher l = MATCHER_LABEL.matcher(m.group(2));
                while (l.find()) {
                    labels.add(l.group(1));
                }
            }
            selectors.add(new Selector(m.group(1), labels));
        }
        Set<String> grouping = new LinkedHashSet<>();
        Matcher g = GROUPING.matcher(query);
        while (g.find()) {
            for (String label : g.group(1).split(",")) {
                if (!label.isBlank()) {
                    grouping.add(label.strip());
                }
            }
        }
        return new Usage(selectors, grouping);
    }

    /** Prometheus text exposition → metric name → every label name seen on its samples. */
    static Map<String, Set<String>> scrapedLabels(String text) {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.indexOf(' ');
            boolean hasLabels = brace >= 0 && (space < 0 || brace < space);
            String name = line.substring(0, hasLabels ? brace : space);
            Set<String> labels = out.computeIfAbsent(name, k -> new LinkedHashSet<>());
            if (hasLabels) {
                Matcher l = SAMPLE_LABEL.matcher(line.substring(brace, line.lastIndexOf('}') + 1));
                while (l.find()) {
                    labels.add(l.group(1));
                }
            }
        }
        return out;
    }

    private PromQl() {
    }
}
