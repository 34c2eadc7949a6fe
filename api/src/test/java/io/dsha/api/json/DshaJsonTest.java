package io.dsha.api.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dsha.api.problem.Violation;
import io.dsha.api.topology.Topology;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Strict binding of {@link DshaJson}: every problem with its path, and the writer's format. */
class DshaJsonTest {

    public enum Kind { RED, GREEN }

    public record Item(String name, Integer size) {
    }

    public record Sample(String name, Integer count, Boolean flag, Instant at, List<Item> items, Kind kind) {
    }

    /** JSON written with single quotes, for readability. */
    private static String json(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    private static Violation v(String field, String message) {
        return new Violation(field, message);
    }

    /** The problems by field and message; where they are is asserted in {@link #wrongTypesInYamlHaveTheSamePathsAndArePlaced}. */
    private static <T> void assertProblems(DshaJson.Binding<T> binding, Violation... expected) {
        assertEquals(List.of(expected), binding.violations().stream().map(x -> v(x.field(), x.message())).toList());
        assertFalse(binding.ok());
    }

    /** A document that cannot be read: this one problem, placed, and nothing bound. */
    private static void assertUnreadable(DshaJson.Binding<?> binding, Violation expected) {
        assertEquals(List.of(expected), binding.violations());
        assertNull(binding.value());
        assertFalse(binding.ok());
    }

    // ---------------------------------------------------------------- a good document

    @Test
    void bindsAValidDocument() {
        DshaJson.Binding<Sample> b = DshaJson.bind(json(
                "{'name':'n','count':3,'flag':true,'at':'2026-01-31T12:00:00Z','items':[{'name':'i','size':1}],'kind':'GREEN'}"), Sample.class);
        assertEquals(List.of(), b.violations());
        assertTrue(b.ok());
        assertEquals(new Sample("n", 3, true, Instant.parse("2026-01-31T12:00:00Z"), List.of(new Item("i", 1)), Kind.GREEN), b.value());
    }

    @Test
    void missingFieldsAreNullNotProblems() {
        DshaJson.Binding<Sample> b = DshaJson.bind("{}", Sample.class);
        assertTrue(b.ok());
        assertEquals(new Sample(null, null, null, null, null, null), b.value());
    }

    @Test
    void instantWithAnOffsetIsTheSameInstant() {
        DshaJson.Binding<Sample> b = DshaJson.bind(json("{'at':'2026-01-31T13:00:00+01:00'}"), Sample.class);
        assertEquals(List.of(), b.violations());
        assertEquals(Instant.parse("2026-01-31T12:00:00Z"), b.value().at());
    }

    // ---------------------------------------------------------------- unknown fields

    @Test
    void unknownTopLevelField() {
        DshaJson.Binding<Sample> b = DshaJson.bind(json("{'name':'n','nmae':'typo'}"), Sample.class);
        assertProblems(b, v("nmae", "unknown field; did you mean `name`?"));
        assertEquals("n", b.value().name(), "binding goes on around the unknown field");
    }

    @Test
    void unknownFieldsWithObjectAndListValues() {
        // Before and after the known fields, with values of every shape: each is skipped whole.
        DshaJson.Binding<Sample> b = DshaJson.bind(json(
                "{'extra':{'a':{'b':[1,2]}},'name':'n','more':[1,[2],{'c':3}],'count':1,'last':null}"), Sample.class);
        assertProblems(b, v("extra", "unknown field"), v("more", "unknown field"), v("last", "unknown field"));
        assertEquals("n", b.value().name());
        assertEquals(1, b.value().count());
    }

    @Test
    void unknownFieldsInListElements() {
        DshaJson.Binding<Sample> b = DshaJson.bind(json(
                "{'items':[{'name':'a','size':1},{'name':'b','sise':2},{'colour':[1],'name':'c'}]}"), Sample.class);
        assertProblems(b, v("items[1].sise", "unknown field; did you mean `size`?"), v("items[2].colour", "unknown field"));
        assertEquals(List.of(new Item("a", 1), new Item("b", null), new Item("c", null)), b.value().items());
    }

    @Test
    void unknownFieldAfterEveryKnownOne() {
        // All components seen: Jackson builds the record early and reads the rest live.
        DshaJson.Binding<Sample> b = DshaJson.bind(json(
                "{'items':[{'name':'a','size':1,'x':[1]}],'name':'n','count':1,'flag':false,'at':null,'kind':'RED','y':{'z':1}}"), Sample.class);
        assertProblems(b, v("items[0].x", "unknown field"), v("y", "unknown field"));
    }

    @Test
    void unknownFieldsInATopology() {
        DshaJson.Binding<Topology> b = DshaJson.bind(json("""
                {'backendz':[1],'listener':{'prot':1},
                 'backends':[{'id':'a','host':'h','port':1,'healthCheck':{'typo':{'x':1},'rise':1},'prot':[2]}]}
                """), Topology.class);
        // A record's unknown fields are reported when its object ends, so "backendz" comes last.
        assertProblems(b,
                v("listener.prot", "unknown field; did you mean `port`?"),
                v("backends[0].healthCheck.typo", "unknown field; did you mean `type`?"),
                v("backends[0].prot", "unknown field; did you mean `port`?"),
                v("backendz", "unknown field; did you mean `backends`?"));
    }

    // ---------------------------------------------------------------- duplicate keys

    @Test
    void duplicateKeyIsReportedWithItsLocation() {
        assertUnreadable(DshaJson.bind(json("{'name':'a','name':'b'}"), Sample.class),
                v("name", "appears twice in one object (first at line 1, column 2); keep one").at(1, 13));
    }

    @Test
    void duplicateKeyInANestedObject() {
        String text = json("""
                {'items': [
                  {'name': 'a', 'size': 1, 'size': 2}
                ]}
                """);
        assertUnreadable(DshaJson.bind(text, Sample.class),
                v("items[0].size", "appears twice in one object (first at line 2, column 17); keep one").at(2, 28));
    }

    @Test
    void duplicateKeyInYaml() {
        String yaml = """
                name: a
                count: 1
                name: b
                """;
        assertUnreadable(DshaJson.bindYaml(yaml, Sample.class),
                v("name", "appears twice in one object (first at line 1, column 1); keep one").at(3, 1));
    }

    // ---------------------------------------------------------------- wrong types

    @Test
    void wrongTypeInAListElementHasItsPath() {
        DshaJson.Binding<Topology> b = DshaJson.bind(json("{'backends':[{'id':'a','host':'h','port':'abc'}]}"), Topology.class);
        assertProblems(b, v("backends[0].port", "must be a whole number"));
        assertNull(b.value().backends().get(0).port(), "the unreadable field is null, the rest is bound");
        assertEquals("a", b.value().backends().get(0).id());
    }

    @Test
    void everyWrongTypeIsReportedInOnePass() {
        DshaJson.Binding<Sample> b = DshaJson.bind(json("""
                {'name':{'a':1},'count':'many','flag':'maybe','at':'yesterday',
                 'items':[{'name':['x'],'size':[1]},'item',{'name':'ok','size':true}],'kind':'BLUE'}
                """), Sample.class);
        assertProblems(b,
                v("name", "must be a string"),
                v("count", "must be a whole number"),
                v("flag", "must be true or false"),
                v("at", "must be an ISO-8601 time such as 2026-01-31T12:00:00Z"),
                v("items[0].name", "must be a string"),
                v("items[0].size", "must be a whole number"),
                v("items[1]", "must be an object"),
                v("items[2].size", "must be a whole number"),
                v("kind", "must be one of RED, GREEN"));
        assertEquals(new Item("ok", null), b.value().items().get(2));
    }

    @Test
    void scalarWhereAListIsExpected() {
        assertProblems(DshaJson.bind(json("{'items':'none'}"), Sample.class), v("items", "must be a list"));
        assertProblems(DshaJson.bind(json("{'items':{'name':'a'}}"), Sample.class), v("items", "must be a list"));
    }

    @Test
    void numbersAreNotEnumValues() {
        assertProblems(DshaJson.bind(json("{'kind':0}"), Sample.class), v("kind", "must be one of RED, GREEN"));
    }

    @Test
    void fractionIsNotAWholeNumber() {
        DshaJson.Binding<Sample> b = DshaJson.bind(json("{'items':[{'size':1.5}]}"), Sample.class);
        assertProblems(b, v("items[0].size", "must be a whole number"));
        assertNull(b.value());
    }

    @Test
    void wrongTypesInYamlHaveTheSamePathsAndArePlaced() {
        String yaml = """
                count: many
                items:
                  - name: a
                    size: [1]
                  - oops
                  - {name: b, sise: 2}
                kind: blue
                """;
        assertEquals(List.of(
                v("count", "must be a whole number").at(1, 1),
                v("items[0].size", "must be a whole number").at(4, 5),
                v("items[1]", "must be an object").at(5, 5),
                v("items[2].sise", "unknown field; did you mean `size`?").at(6, 15),
                v("kind", "must be one of RED, GREEN").at(7, 1)),
                DshaJson.bindYaml(yaml, Sample.class).violations());
    }

    @Test
    void documentOfTheWrongType() {
        assertProblems(DshaJson.bind("[1]", Sample.class), v(null, "must be an object"));
        assertProblems(DshaJson.bind("\"text\"", Sample.class), v(null, "must be an object"));
        assertProblems(DshaJson.bindYaml("- a\n- b\n", Sample.class), v(null, "must be an object"));
    }

    // ---------------------------------------------------------------- empty, trailing, malformed

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\n\t "})
    void emptyDocument(String text) {
        assertProblems(DshaJson.bind(text, Sample.class), v(null, "the document is empty"));
        assertProblems(DshaJson.bindYaml(text, Sample.class), v(null, "the document is empty"));
    }

    @Test
    void nullText() {
        assertProblems(DshaJson.bind(null, Sample.class), v(null, "the document is empty"));
    }

    @Test
    void yamlWithOnlyComments() {
        assertProblems(DshaJson.bindYaml("# nothing here\n", Sample.class), v(null, "the document is empty"));
    }

    @Test
    void nullDocument() {
        assertProblems(DshaJson.bind("null", Sample.class), v(null, "the document is empty or null"));
        assertProblems(DshaJson.bindYaml("~\n", Sample.class), v(null, "the document is empty or null"));
    }

    @Test
    void trailingValueAfterTheDocument() {
        assertUnreadable(DshaJson.bind(json("{'name':'a'} {'name':'b'}"), Sample.class),
                v(null, "unexpected content after the end of the document").at(1, 14));
        assertUnreadable(DshaJson.bind(json("{'name':'a'}\n\n  1"), Sample.class),
                v(null, "unexpected content after the end of the document").at(3, 3));
    }

    @Test
    void trailingGarbageAfterTheDocument() {
        assertUnreadable(DshaJson.bind(json("{'name':'a'} x"), Sample.class),
                v(null, "`x` is not a JSON value; put text in double quotes").at(1, 14));
    }

    @Test
    void secondYamlDocument() {
        assertUnreadable(DshaJson.bindYaml("name: a\n---\nname: b\n", Sample.class),
                v(null, "unexpected content after the end of the document").at(3, 1));
    }

    @Test
    void trailingWhitespaceIsFine() {
        assertTrue(DshaJson.bind(json("{'name':'a'}\n  \n"), Sample.class).ok());
    }

    @Test
    void syntaxErrorHasLineAndColumn() {
        assertUnreadable(DshaJson.bind(json("{\n  'name': ,\n}"), Sample.class), v(null, "a value is missing before ','").at(2, 11));
    }

    @Test
    void truncatedDocument() {
        assertUnreadable(DshaJson.bind(json("{'items':[{'name':'a'}"), Sample.class),
                v(null, "the list opened with '[' here is never closed with ']'").at(1, 10));
    }

    @Test
    void aSyntaxErrorIsTheOnlyProblem() {
        // Binding stops being meaningful where the syntax breaks: only the syntax error is reported,
        // not the wrong type before it nor what the broken structure would bind to.
        assertUnreadable(DshaJson.bind(json("{'count':'x','name': }"), Sample.class), v(null, "a value is missing before '}'").at(1, 22));
        assertUnreadable(DshaJson.bindYaml("items:\n  name a\n  size: 1\n", Sample.class),
                v(null, "missing ':' after the key; `name a` should read `name: a`").at(2, 3));
    }

    // ---------------------------------------------------------------- where problems are

    @Test
    void aProblemFoundAfterBindingIsPlacedAtItsFieldOrWhatHoldsIt() {
        DshaJson.Binding<Sample> b = DshaJson.bind(json("{\n 'items': [\n  {'name': 'a'}\n ]\n}"), Sample.class);
        assertEquals(v("items[0].name", "m").at(3, 4), b.source().locate(v("items[0].name", "m")));
        assertEquals(v("items[0].size", "m").at(3, 3), b.source().locate(v("items[0].size", "m")), "a missing field: its object");
        assertEquals(v("name", "m"), b.source().locate(v("name", "m")), "nothing holds it: no place");
        assertEquals(v(null, "m"), b.source().locate(v(null, "m")));
        assertEquals(v("items", "m").at(9, 9), b.source().locate(v("items", "m").at(9, 9)), "a placed one stays");
    }

    // ---------------------------------------------------------------- Binding

    @Test
    void bindingIsOkOnlyWithAValueAndNoProblems() {
        assertTrue(new DshaJson.Binding<>("x", List.of()).ok());
        assertFalse(new DshaJson.Binding<>(null, List.of()).ok());
        assertFalse(new DshaJson.Binding<>("x", List.of(v("f", "m"))).ok());
    }

    @Test
    void bindingViolationsAreACopy() {
        List<Violation> list = new ArrayList<>(List.of(v("f", "m")));
        DshaJson.Binding<String> b = new DshaJson.Binding<>("x", list);
        list.clear();
        assertEquals(List.of(v("f", "m")), b.violations());
        assertThrows(UnsupportedOperationException.class, () -> b.violations().add(v("g", "n")));
    }

    // ---------------------------------------------------------------- the writer

    @Test
    void writerEmitsIsoInstantsAndOmitsNulls() throws Exception {
        Sample sample = new Sample("n", null, null, Instant.parse("2026-01-31T12:00:00Z"),
                List.of(new Item("i", null)), null);
        assertEquals("{\"name\":\"n\",\"at\":\"2026-01-31T12:00:00Z\",\"items\":[{\"name\":\"i\"}]}",
                DshaJson.mapper().writeValueAsString(sample));
    }

    @Test
    void writerKeepsFractionsOfASecond() throws Exception {
        Sample sample = new Sample(null, null, null, Instant.parse("2026-01-31T12:00:00.123456789Z"), null, null);
        assertEquals("{\"at\":\"2026-01-31T12:00:00.123456789Z\"}", DshaJson.mapper().writeValueAsString(sample));
    }

    @Test
    void writerOmitsNullsOfATopology() throws Exception {
        Topology t = DshaJson.bind(json("{'backends':[{'id':'a','host':'h','port':1,'healthCheck':{'type':'TCP'}}]}"), Topology.class).value();
        String text = DshaJson.mapper().writeValueAsString(t);
        assertFalse(text.contains("null"), text);
        assertFalse(text.contains("fqdn"), text);
        assertFalse(text.contains("expectStatus"), "a TCP check has no expected status: " + text);
        assertTrue(text.contains("\"listener\":{\"host\":\"0.0.0.0\",\"port\":8443}"), text);
    }

    @Test
    void writtenDocumentBindsBackToTheSameValue() throws Exception {
        Sample sample = new Sample("n", 2, false, Instant.parse("2026-01-31T12:00:00.5Z"),
                List.of(new Item("i", 1), new Item(null, null)), Kind.RED);
        String text = DshaJson.mapper().writeValueAsString(sample);
        DshaJson.Binding<Sample> back = DshaJson.bind(text, Sample.class);
        assertEquals(List.of(), back.violations());
        assertEquals(sample, back.value());
    }

    @Test
    void writerEmitsIsoInstantsInMaps() throws Exception {
        ObjectMapper mapper = DshaJson.mapper();
        assertEquals("{\"t\":\"1970-01-01T00:00:00Z\"}", mapper.writeValueAsString(Map.of("t", Instant.EPOCH)));
    }

    // ---------------------------------------------------------------- messages

    @Test
    void mismatchMessages() {
        assertEquals("has the wrong type", DshaJson.mismatch(null));
        assertEquals("must be a whole number", DshaJson.mismatch(Integer.class));
        assertEquals("must be a whole number", DshaJson.mismatch(long.class));
        assertEquals("must be a string", DshaJson.mismatch(String.class));
        assertEquals("must be true or false", DshaJson.mismatch(Boolean.class));
        assertEquals("must be an ISO-8601 time such as 2026-01-31T12:00:00Z", DshaJson.mismatch(Instant.class));
        assertEquals("must be a list", DshaJson.mismatch(List.class));
        assertEquals("must be an object", DshaJson.mismatch(Map.class));
        assertEquals("must be an object", DshaJson.mismatch(Item.class));
        assertEquals("must be one of RED, GREEN", DshaJson.mismatch(Kind.class));
        assertEquals("has the wrong type", DshaJson.mismatch(Double.class));
    }
}
