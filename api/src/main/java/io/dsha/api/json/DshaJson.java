package io.dsha.api.json;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.deser.ValueInstantiator;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.dsha.api.problem.Violation;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The one JSON/YAML configuration of the project: ISO-8601 times, absent nulls, strict input
 * (unknown fields, duplicate keys and wrong types are reported, never silently dropped).
 * {@link #bind} collects every input problem with its field path instead of stopping at the first.
 */
public final class DshaJson {

    private static final ObjectMapper JSON = configure(JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build());
    private static final ObjectMapper YAML = configure(YAMLMapper.builder(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build());

    private DshaJson() {
    }

    /** The shared mapper for JSON; thread-safe. */
    public static ObjectMapper mapper() {
        return JSON;
    }

    /** The outcome of binding a document: the value (possibly with nulls where input was wrong) and every problem. */
    public record Binding<T>(T value, List<Violation> violations) {
        public Binding {
            violations = List.copyOf(violations);
        }

        public boolean ok() {
            return value != null && violations.isEmpty();
        }
    }

    /**
     * Reads a document this project wrote, tolerating fields it does not know: a newer peer may
     * have added some. For input from people, use {@link #bind}.
     */
    public static <T> T readTolerant(byte[] json, Class<T> type) throws IOException {
        return JSON.readerFor(type).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(json);
    }

    /** Binds JSON text. */
    public static <T> Binding<T> bind(String json, Class<T> type) {
        return bind(JSON, json, type);
    }

    /** Binds YAML (a superset of JSON) or JSON text. */
    public static <T> Binding<T> bindYaml(String yaml, Class<T> type) {
        return bind(YAML, yaml, type);
    }

    private static <T> Binding<T> bind(ObjectMapper mapper, String text, Class<T> type) {
        Collector collector = new Collector();
        if (text == null || text.isBlank()) {
            return new Binding<>(null, List.of(new Violation(null, "the document is empty")));
        }
        // Trailing content is checked here rather than by FAIL_ON_TRAILING_TOKENS, which reports it as a
        // MismatchedInputException indistinguishable from a wrong root type ("must be an object").
        ObjectReader reader = mapper.readerFor(type).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).withHandler(collector);
        try (JsonParser parser = reader.createParser(text)) {
            if (parser.nextToken() == null) {
                // Only whitespace and comments (YAML).
                return new Binding<>(null, List.of(new Violation(null, "the document is empty")));
            }
            T value = reader.readValue(parser);
            if (parser.nextToken() != null) {
                collector.violations.add(new Violation(null, at(parser.currentTokenLocation())
                        + "unexpected content after the end of the document"));
                return new Binding<>(null, collector.violations);
            }
            if (value == null && collector.violations.isEmpty()) {
                collector.violations.add(new Violation(null, "the document is empty or null"));
            }
            return new Binding<>(value, collector.violations);
        } catch (MismatchedInputException e) {
            collector.violations.add(new Violation(path(e.getPath()), mismatch(e.getTargetType())));
            return new Binding<>(null, collector.violations);
        } catch (JsonProcessingException e) {
            collector.violations.add(new Violation(null, at(e.getLocation()) + e.getOriginalMessage()));
            return new Binding<>(null, collector.violations);
        } catch (IOException e) {
            collector.violations.add(new Violation(null, String.valueOf(e.getMessage())));
            return new Binding<>(null, collector.violations);
        }
    }

    private static String at(JsonLocation location) {
        return location == null ? "" : "line " + location.getLineNr() + ", column " + location.getColumnNr() + ": ";
    }

    private static ObjectMapper configure(ObjectMapper mapper) {
        return mapper.registerModule(new JavaTimeModule())
                .setSerializationInclusion(JsonInclude.Include.NON_NULL)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE);
    }

    /** Records a problem and lets binding go on with a null, so one pass finds every wrong field. */
    private static final class Collector extends DeserializationProblemHandler {
        final List<Violation> violations = new ArrayList<>();

        @Override
        public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p, JsonDeserializer<?> deserializer,
                Object beanOrClass, String propertyName) throws IOException {
            violations.add(new Violation(unknownPropertyPath(ctxt.getParser(), p, propertyName), "unknown field"));
            p.skipChildren();
            return true;
        }

        @Override
        public Object handleMissingInstantiator(DeserializationContext ctxt, Class<?> instClass, ValueInstantiator valueInsta,
                JsonParser p, String msg) throws IOException {
            // A scalar where an object is expected ("backends": ["a"]): report it and go on, like any other wrong type.
            if (p.currentToken() == null || !p.currentToken().isScalarValue()) {
                return NOT_HANDLED;
            }
            violations.add(new Violation(valuePath(p), mismatch(instClass)));
            return null;
        }

        @Override
        public Object handleWeirdStringValue(DeserializationContext ctxt, Class<?> targetType, String valueToConvert,
                String failureMsg) {
            violations.add(new Violation(valuePath(ctxt.getParser()), mismatch(targetType)));
            return null;
        }

        @Override
        public Object handleWeirdNumberValue(DeserializationContext ctxt, Class<?> targetType, Number valueToConvert,
                String failureMsg) {
            violations.add(new Violation(valuePath(ctxt.getParser()), mismatch(targetType)));
            return null;
        }

        @Override
        public Object handleUnexpectedToken(DeserializationContext ctxt, JavaType targetType, JsonToken t, JsonParser p,
                String failureMsg) throws IOException {
            violations.add(new Violation(valuePath(p), mismatch(targetType.getRawClass())));
            p.skipChildren();
            return null;
        }
    }

    static String mismatch(Class<?> type) {
        if (type == null) {
            return "has the wrong type";
        }
        if (type.isEnum()) {
            return "must be one of " + Arrays.stream(type.getEnumConstants()).map(String::valueOf).collect(Collectors.joining(", "));
        }
        if (type == Integer.class || type == Long.class || type == int.class || type == long.class) {
            return "must be a whole number";
        }
        if (type == String.class) {
            return "must be a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "must be true or false";
        }
        if (type == java.time.Instant.class) {
            return "must be an ISO-8601 time such as 2026-01-31T12:00:00Z";
        }
        if (Collection.class.isAssignableFrom(type)) {
            return "must be a list";
        }
        if (Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "must be an object";
        }
        return "has the wrong type";
    }

    /**
     * The path of the value the parser is at. On a START_OBJECT or START_ARRAY token the parser has
     * already entered the new scope (an array scope with no element yet), which is not part of the path.
     */
    private static String valuePath(JsonParser p) {
        JsonStreamContext context = p.getParsingContext();
        if (context != null && (p.hasToken(JsonToken.START_OBJECT) || p.hasToken(JsonToken.START_ARRAY))) {
            context = context.getParent();
        }
        return path(context);
    }

    /**
     * The path of an unknown property. Usually {@code p} is the live parser, at the property's value.
     * But a record's properties are read before its constructor can run, so Jackson buffers unknown
     * ones and replays them from a token buffer once the object is built; the buffer's parsing
     * context is a stale copy of the live one and gives a wrong path. The live parser is then at the
     * next property name of that object, or past its closing brace (in the object's parent scope).
     */
    private static String unknownPropertyPath(JsonParser live, JsonParser p, String propertyName) {
        if (live == null || live == p) {
            return valuePath(p);
        }
        JsonStreamContext context = live.getParsingContext();
        if (live.hasToken(JsonToken.FIELD_NAME) && context != null) {
            context = context.getParent();
        }
        String owner = path(context);
        return owner == null ? propertyName : owner + "." + propertyName;
    }

    /** The dotted path of a parsing context, or {@code null} for the document itself. */
    private static String path(JsonStreamContext context) {
        List<String> parts = new ArrayList<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) {
                parts.add("[" + Math.max(0, c.getCurrentIndex()) + "]");
            } else if (c.getCurrentName() != null) {
                parts.add(c.getCurrentName());
            }
        }
        java.util.Collections.reverse(parts);
        return parts.isEmpty() ? null : join(parts);
    }

    private static String path(List<com.fasterxml.jackson.databind.JsonMappingException.Reference> refs) {
        List<String> parts = new ArrayList<>();
        for (var ref : refs) {
            parts.add(ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]");
        }
        return parts.isEmpty() ? null : join(parts);
    }

    private static String join(List<String> parts) {
        StringBuilder sb = new StringBuilder();
        for (String part : parts) {
            if (sb.length() > 0 && !part.startsWith("[")) {
                sb.append('.');
            }
            sb.append(part);
        }
        return sb.toString();
    }
}
