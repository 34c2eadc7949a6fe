package io.dsha.api.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.dsha.api.problem.Violation;
import io.dsha.api.topology.Topology;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sentence and the place of each kind of syntax error: the place to fix, which is not always
 * where the parser stopped, and only that one problem.
 */
class SyntaxErrorsTest {

    private static void assertYaml(String yaml, int line, int column, String sentence) {
        assertOnly(DshaJson.bindYaml(yaml, Topology.class), new Violation(null, sentence, line, column));
    }

    private static void assertJson(String json, int line, int column, String sentence) {
        assertOnly(DshaJson.bind(json, Topology.class), new Violation(null, sentence, line, column));
    }

    private static void assertOnly(DshaJson.Binding<Topology> binding, Violation expected) {
        assertEquals(List.of(expected), binding.violations());
        assertNull(binding.value());
    }

    // ---------------------------------------------------------------- YAML

    @Test
    void keyIndentedMoreThanTheOneAbove() {
        assertYaml("""
                listener:
                  host: 0.0.0.0
                   port: 8443
                """, 3, 4, "this line is indented more than `host` on line 2; keys of one object must start in the same column");
    }

    @Test
    void keyIndentedMoreThanTheFirstKeyOfAListItem() {
        assertYaml("""
                backends:
                  - id: a
                     host: h
                """, 3, 6, "this line is indented more than `id` on line 2; keys of one object must start in the same column");
    }

    @Test
    void keyIndentedLessThanTheOnesAbove() {
        assertYaml("""
                backends:
                  - id: a
                   host: h
                """, 3, 4, "this line is indented differently from the keys above it; keys of one object must start in the same column");
        assertYaml("""
                listener:
                  host: x
                 port: 1
                """, 3, 2, "this line is indented differently from the keys above it; keys of one object must start in the same column");
    }

    @Test
    void tabInTheIndentation() {
        assertYaml("listener:\n  host: 0.0.0.0\n\tport: 8443\n", 3, 1, "this line is indented with a tab; YAML indents with spaces only");
    }

    @Test
    void tabAfterTheColon() {
        assertYaml("mode:\tACTIVE_PASSIVE\n", 1, 6, "a tab cannot stand here; use spaces");
    }

    @Test
    void quoteNeverClosed() {
        assertYaml("""
                listener:
                  host: "0.0.0.0
                  port: 8443
                """, 2, 9, "the quoted string that starts here is never closed");
        assertYaml("mode: 'ACTIVE_PASSIVE\n", 1, 7, "the quoted string that starts here is never closed");
    }

    @Test
    void quoteClosedOnALaterLine() {
        // The string takes in the next line up to its first quote; the parser stops after that.
        assertYaml("""
                mode: "ACTIVE_PASSIVE
                fqdn: "x.example.com"
                """, 1, 7, "the quoted string that starts here is not closed on its line; it runs on to line 2");
    }

    @Test
    void missingColonBeforeAnotherKey() {
        // The parser stops at the ':' of the next line; the mistake is on the line before.
        assertYaml("""
                listener:
                  host 0.0.0.0
                  port: 8443
                """, 2, 3, "missing ':' after the key; `host 0.0.0.0` should read `host: 0.0.0.0`");
        assertYaml("""
                backends:
                  - id: a
                    host h
                    port: 1
                """, 3, 5, "missing ':' after the key; `host h` should read `host: h`");
    }

    @Test
    void missingColonOnTheFirstOrLastLine() {
        assertYaml("mode ACTIVE_PASSIVE\nbackends: []\n", 1, 1, "missing ':' after the key; `mode ACTIVE_PASSIVE` should read `mode: ACTIVE_PASSIVE`");
        assertYaml("mode: ACTIVE_PASSIVE\nfqdn x.example.com # the SNI name\n", 2, 1,
                "missing ':' after the key; `fqdn x.example.com` should read `fqdn: x.example.com`");
    }

    @Test
    void secondColonOnALine() {
        assertYaml("fqdn: a: b\n", 1, 8, "a second ': ' on one line; put a value that contains ': ' in quotes");
    }

    @Test
    void duplicateKey() {
        assertOnly(DshaJson.bindYaml("""
                mode: ACTIVE_PASSIVE
                backends:
                  - id: a
                    id: b
                mode: ACTIVE_ACTIVE
                """, Topology.class),
                new Violation("backends[0].id", "appears twice in one object (first at line 3, column 5); keep one", 4, 5));
    }

    @Test
    void listItemWithoutAKey() {
        assertYaml("mode: ACTIVE_PASSIVE\n- id: a\n", 2, 1, "a list item cannot start here; put it under a key that ends its line with ':'");
    }

    @Test
    void flowListOrObjectNeverClosed() {
        assertYaml("mode: ACTIVE_PASSIVE\nbackends: [a, b\n", 2, 11, "the list opened with '[' here is never closed with ']'");
        assertYaml("listener: {host: h\n", 1, 11, "the object opened with '{' here is never closed with '}'");
    }

    @Test
    void characterThatCannotStartAValue() {
        assertYaml("fqdn: @example.com\n", 1, 7, "a value cannot start with '@'; put it in quotes");
    }

    // ---------------------------------------------------------------- JSON

    @Test
    void missingComma() {
        assertJson("{\n  \"mode\": \"ACTIVE_PASSIVE\"\n  \"backends\": []\n}", 3, 3, "a ',' is missing between this field and the one before it");
        assertJson("{\"backends\": [{} {}]}", 1, 18, "a ',' is missing between this item and the one before it");
    }

    @Test
    void trailingComma() {
        assertJson("{\"mode\": \"ACTIVE_PASSIVE\",}", 1, 27, "a ',' before '}' is not allowed in JSON");
        assertJson("{\"backends\": [1,]}", 1, 17, "a value is missing before ']'");
    }

    @Test
    void stringNotClosedOnItsLine() {
        assertJson("{\n  \"mode\": \"ACTIVE_PASSIVE,\n  \"backends\": []\n}", 2, 11, "the quoted string that starts here is not closed on its line");
    }

    @Test
    void documentEndsInsideAString() {
        assertJson("{\"mode\": \"ACTIVE", 1, 17, "the document ends inside a string; a closing '\"' is missing");
    }

    @Test
    void bracketNeverClosed() {
        assertJson("{\n  \"backends\": [\n", 2, 15, "the list opened with '[' here is never closed with ']'");
        assertJson("{\"listener\": {\"port\": 1}", 1, 1, "the object opened with '{' here is never closed with '}'");
        assertJson("{\"listener\": {\"port\": ", 1, 14, "the object opened with '{' here is never closed with '}'");
        assertJson("{\"backends\": [1, ", 1, 14, "the list opened with '[' here is never closed with ']'");
    }

    @Test
    void wrongClosingBracket() {
        assertJson("{\"mode\": \"ACTIVE_PASSIVE\"]", 1, 26, "']' does not close the object opened at line 1, column 1; it ends with '}'");
    }

    @Test
    void singleQuotesAndBareWords() {
        assertJson("{'mode': 'ACTIVE_PASSIVE'}", 1, 2, "JSON needs double quotes, not single quotes");
        assertJson("{mode: 1}", 1, 2, "a field name must be in double quotes");
        assertJson("{\"mode\": ACTIVE_PASSIVE}", 1, 10, "`ACTIVE_PASSIVE` is not a JSON value; put text in double quotes");
    }

    @Test
    void comment() {
        assertJson("{\"mode\": \"ACTIVE_PASSIVE\" // the usual\n}", 1, 27, "JSON does not allow comments; write the file as YAML to keep them");
    }

    @Test
    void duplicateKeyInJson() {
        assertOnly(DshaJson.bind("{\n  \"mode\": \"ACTIVE_PASSIVE\",\n  \"mode\": \"ACTIVE_ACTIVE\"\n}", Topology.class),
                new Violation("mode", "appears twice in one object (first at line 2, column 3); keep one", 3, 3));
    }
}
