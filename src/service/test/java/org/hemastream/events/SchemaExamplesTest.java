package org.hemastream.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SchemaExamplesTest {

    private final EventSchemas schemas = new EventSchemas();
    private final ObjectMapper mapper = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"cbc-result", "cell-image", "slide-complete", "cell-result", "blast-alert", "dead-letter",
            "diagnostic-score", "alert-review"})
    void everyExampleEventValidatesAgainstItsSchema(String type) throws Exception {
        JsonNode example = mapper.readTree(Files.readString(Path.of("schemas/examples/" + type + ".example.json")));
        assertThat(schemas.validate(type, example)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"cbc-result", "cell-image", "slide-complete", "cell-result", "blast-alert", "dead-letter",
            "diagnostic-score", "alert-review"})
    void anExampleWithoutItsSpecimenOrTypeIsRefused(String type) throws Exception {
        var example = (com.fasterxml.jackson.databind.node.ObjectNode)
                mapper.readTree(Files.readString(Path.of("schemas/examples/" + type + ".example.json")));
        example.remove("type");
        example.put("unexpected", true);
        assertThat(schemas.validate(type, example)).isNotEmpty();
    }
}
