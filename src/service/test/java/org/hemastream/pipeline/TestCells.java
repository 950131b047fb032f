package org.hemastream.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * TEST FIXTURE: real held-out cell images (the committed parity sample, src/service/test/resources/parity) with
 * their dataset labels, used to assemble test specimens.
 */
final class TestCells {

    record Cell(String file, String label, String source, byte[] jpeg) {
    }

    private static final Path DIR = Path.of("src/service/test/resources/parity");
    private static List<Cell> all;

    static synchronized List<Cell> all() {
        if (all == null) {
            try {
                JsonNode root = new ObjectMapper().readTree(DIR.resolve("parity.json").toFile());
                List<Cell> cells = new ArrayList<>();
                for (JsonNode c : root.get("cells")) {
                    cells.add(new Cell(c.get("file").asText(), c.get("label").asText(), c.get("source").asText(),
                            Files.readAllBytes(DIR.resolve(c.get("file").asText()))));
                }
                all = List.copyOf(cells);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return all;
    }

    static List<Cell> labelled(String label, String source) {
        return all().stream().filter(c -> c.label().equals(label) && c.source().equals(source)).toList();
    }

    private TestCells() {
    }
}
