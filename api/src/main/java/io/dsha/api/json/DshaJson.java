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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The one JSON/YAML configuration of the project: ISO-8601 times, absent nulls, strict input
 * (unknown fields, duplicate keys and wrong types are reported, never silently dropped).
 * {@link #bind} collects every input problem with its field path and its place (line and column)
 * instead of stopping at the first; a document that cannot be read has one problem, its syntax error
 * in one sentence ({@link SyntaxErrors}). An unknown field names the known one it is probably meant to be.
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

    /**
     * The outcome of binding a document: the value (possibly with nulls where input was wrong), every
     * problem, and where each field is in the document, to place problems found later.
     */
    public record Binding<T>(T value, List<Violation> violations, SourceMap source) {
        public Binding {
            violations = List.copyOf(violations);
            source = source == null ? SourceMap.NONE : source;
        }

        public Binding(T value, List<Violation> violations) {
            this(value, violations, SourceMap.NONE);
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
        if (text == null || text.isBlank()) {
            return new Binding<>(null, List.of(new Violation(null, "the document is empty")));
        }
        // Trailing content is checked by the scan rather than by FAIL_ON_TRAILING_TOKENS, which reports it as a
        // MismatchedInputException indistinguishable from a wrong root type ("must be an object").
        ObjectReader reader = mapper.readerFor(type).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        Scan scan = scan(reader, text);
        if (scan.problem() != null) {
            // Nothing is bound from a document that cannot be read: what binding would report of its
            // broken structure ("listener: must be an object" for a line without its ':') would mislead.
            return new Binding<>(null, List.of(scan.problem()), scan.source());
        }
        Collector collector = new Collector();
        try {
            T value = reader.withHandler(collector).readValue(text);
            if (value == null && collector.violations.isEmpty()) {
                collector.violations.add(new Violation(null, "the document is empty or null"));
            }
            return new Binding<>(value, scan.source().locate(collector.violations), scan.source());
        } catch (MismatchedInputException e) {
            collector.violations.add(new Violation(path(e.getPath()), mismatch(e.getTargetType())));
        } catch (IOException e) {
            // The scan has read the whole document, so this is not expected; say what it was all the same.
            collector.violations.add(new Violation(null, String.valueOf(e.getMessage())));
        }
        return new Binding<>(null, scan.source().locate(collector.violations), scan.source());
    }

    /** Where every field is, or why the document cannot be read: its syntax, nothing in it, or more after it. */
    private record Scan(SourceMap source, Violation problem) {
    }

    private static Scan scan(ObjectReader reader, String text) {
        Map<String, SourceMap.Place> places = new HashMap<>();
        try (JsonParser parser = reader.createParser(text)) {
            try {
                JsonToken token = parser.nextToken();
                if (token == null) {
                    // Only whitespace and comments (YAML).
                    return new Scan(SourceMap.NONE, new Violation(null, "the document is empty"));
                }
                for (int depth = 0; token != null; token = parser.nextToken()) {
                    remember(parser, places);
                    depth += token.isStructStart() ? 1 : token.isStructEnd() ? -1 : 0;
                    if (depth == 0) {
                        break;
                    }
                }
                if (parser.nextToken() != null) {
                    JsonLocation l = parser.currentTokenLocation();
                    return new Scan(new SourceMap(places), new Violation(null, "unexpected content after the end of the document",
                            l.getLineNr(), l.getColumnNr()));
                }
                return new Scan(new SourceMap(places), null);
            } catch (JsonProcessingException e) {
                // A repeated key: the parser's scope names the key, and its first place is already known.
                String field = path(parser.getParsingContext());
                return new Scan(new SourceMap(places),
                        SyntaxErrors.describe(e, text, parser.getParsingContext(), field, field == null ? null : places.get(field)));
            }
        } catch (IOException e) {
            return new Scan(SourceMap.NONE, new Violation(null, String.valueOf(e.getMessage())));
        }
    }

    /** The place of a field name, or of a list element; a field's value is at its name. */
    private static void remember(JsonParser parser, Map<String, SourceMap.Place> places) {
        if (parser.currentToken().isStructEnd()) {
            return;
        }
        String path = parser.hasToken(JsonToken.FIELD_NAME) ? path(parser.getParsingContext()) : valuePath(parser);
        if (path != null) {
            JsonLocation l = parser.currentTokenLocation();
            places.putIfAbsent(path, new SourceMap.Place(l.getLineNr(), l.getColumnNr()));
        }
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
            String suggestion = deserializer == null || deserializer.getKnownPropertyNames() == null ? null
                    : NearestName.of(propertyName, deserializer.getKnownPropertyNames().stream().map(String::valueOf).toList()).orElse(null);
            violations.add(new Violation(unknownPropertyPath(ctxt.getParser(), p, propertyName),
                    suggestion == null ? "unknown field" : "unknown field; did you mean `" + suggestion + "`?"));
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
