package org.hemastream.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The JSON Schemas (2020-12) of every event, loaded from {@code schemas/} (shipped in the jar). Format
 * assertions are on: a {@code date-time} that is not one is a violation, not an annotation.
 * Thread-safe; compiled schemas are cached.
 */
public final class EventSchemas {

    /** Event type names, which are also the schema file names ({@code <type>.schema.json}). */
    public static final List<String> TYPES = List.of(
            "cbc-result", "cell-image", "slide-complete", "cell-result", "blast-alert", "dead-letter",
            "diagnostic-score", "alert-review");

    private static final Set<String> PLAIN_STRING_KEYWORDS = Set.of("type", "minLength", "maxLength", "description",
            "contentEncoding", "contentMediaType", "title");

    private final JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private final SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
            .formatAssertionsEnabled(true)
            .build();
    private final Map<String, JsonSchema> schemas = new ConcurrentHashMap<>();

    /** Compiles every schema now (blocking: class loading and parsing) so that validation never pays for it later. */
    public EventSchemas warmUp() {
        for (String type : TYPES) {
            if (knows(type)) {
                schemas.computeIfAbsent(type, this::load);
            }
        }
        return this;
    }

    /** Whether a schema exists for this event type. */
    public boolean knows(String type) {
        return TYPES.contains(type) && getClass().getClassLoader().getResource(resource(type)) != null;
    }

    /**
     * Validates an event against its type's schema.
     *
     * @return the violations, empty when valid
     */
    public List<String> validate(String type, JsonNode event) {
        Set<ValidationMessage> messages = schemas.computeIfAbsent(type, this::load).validate(event);
        return messages.stream().map(ValidationMessage::getMessage).sorted().toList();
    }

    /** Length bounds of a string property, in code points. */
    public record StringBounds(int min, int max) {
    }

    /**
     * The bounds of {@code type}'s top-level string property when they are all its schema asserts about it
     * (type string, minLength, maxLength; description and content annotations aside), else null: what lets a
     * reader validate a long value by its length without handing the whole text to the validator.
     */
    public StringBounds plainStringBounds(String type, String property) {
        JsonNode p;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(resource(type))) {
            if (in == null) {
                return null;
            }
            p = new ObjectMapper().readTree(in).path("properties").path(property);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read schema " + resource(type), e);
        }
        if (!"string".equals(p.path("type").asText()) || !p.path("maxLength").canConvertToInt()) {
            return null;
        }
        for (var names = p.fieldNames(); names.hasNext(); ) {
            if (!PLAIN_STRING_KEYWORDS.contains(names.next())) {
                return null;
            }
        }
        return new StringBounds(p.path("minLength").asInt(0), p.path("maxLength").asInt());
    }

    private JsonSchema load(String type) {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(resource(type))) {
            if (in == null) {
                throw new IllegalArgumentException("no schema for event type '" + type + "' at " + resource(type));
            }
            return factory.getSchema(in, config);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read schema " + resource(type), e);
        }
    }

    private static String resource(String type) {
        return "schemas/" + type + ".schema.json";
    }
}
