package org.hemastream.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The outputs of a run without faults, by kind and ID, without processing-time fields: what a run
 * with faults must reproduce. Stored as gzipped JSON {@code {"cell-result": {id: event, …}, …}}.
 * Immutable.
 */
public record Baseline(Map<OutputKind, Map<String, JsonNode>> outputs) {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    public Baseline {
        Map<OutputKind, Map<String, JsonNode>> copy = new EnumMap<>(OutputKind.class);
        for (OutputKind k : OutputKind.values()) {
            copy.put(k, Collections.unmodifiableMap(new LinkedHashMap<>(outputs.getOrDefault(k, Map.of()))));
        }
        outputs = Collections.unmodifiableMap(copy);
    }

    /** Specimens that got a final diagnostic score in the baseline run. */
    public Set<String> specimensWithFinalScore() {
        Set<String> specimens = new TreeSet<>();
        for (JsonNode score : outputs.get(OutputKind.DIAGNOSTIC_SCORE).values()) {
            if (OutputKind.DIAGNOSTIC_SCORE.isFinalScore(score)) {
                specimens.add(score.path("specimenId").asText());
            }
        }
        return specimens;
    }

    public void write(Path file) throws IOException {
        ObjectNode root = MAPPER.createObjectNode();
        outputs.forEach((kind, byId) -> {
            ObjectNode node = root.putObject(kind.eventType());
            byId.forEach(node::set);
        });
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            MAPPER.writeValue(out, root);
        }
    }

    public static Baseline read(Path file) throws IOException {
        JsonNode root;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            root = MAPPER.readTree(in);
        }
        Map<OutputKind, Map<String, JsonNode>> outputs = new EnumMap<>(OutputKind.class);
        for (OutputKind k : OutputKind.values()) {
            Map<String, JsonNode> byId = new LinkedHashMap<>();
            JsonNode node = root.path(k.eventType());
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                byId.put(e.getKey(), e.getValue());
            }
            outputs.put(k, byId);
        }
        return new Baseline(outputs);
    }
}
