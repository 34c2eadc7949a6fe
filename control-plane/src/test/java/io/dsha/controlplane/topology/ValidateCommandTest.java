package io.dsha.controlplane.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jakarta.validation.ValidatorFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code validate FILE...} prints, and what a control plane started with a bad
 * {@code dsha.topology-file} says: each problem as {@code FILE:LINE:COLUMN: ...}, one a line.
 */
class ValidateCommandTest {

    @TempDir
    Path dir;

    private record Run(int status, String out, String err) {
    }

    private static Run validate(Path... files) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] names = java.util.Arrays.stream(files).map(Path::toString).toArray(String[]::new);
        int status = ValidateCommand.run(names, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    @Test
    void aSyntaxErrorIsOneLineAndNothingAfterIt() throws IOException {
        Path file = write("bad-indent.yaml", """
                listener:
                  host: 0.0.0.0
                   port: 8443
                mode: ACTIVE_PASSIVE
                """);
        Run run = validate(file);
        assertEquals(1, run.status());
        assertEquals("", run.out());
        assertEquals(file + ":3:4: this line is indented more than `host` on line 2; keys of one object must start in the same column\n",
                run.err());
    }

    @Test
    void everySyntaxErrorOfTheIssueReadsAsOneSentence() throws IOException {
        assertEquals("%s:3:1: this line is indented with a tab; YAML indents with spaces only\n",
                errorOf("tab.yaml", "listener:\n  host: 0.0.0.0\n\tport: 8443\n"));
        assertEquals("%s:2:9: the quoted string that starts here is never closed\n",
                errorOf("quote.yaml", "listener:\n  host: \"0.0.0.0\n  port: 8443\n"));
        assertEquals("%s:2:3: missing ':' after the key; `host 0.0.0.0` should read `host: 0.0.0.0`\n",
                errorOf("colon.yaml", "listener:\n  host 0.0.0.0\n  port: 8443\n"));
        assertEquals("%s:3:1: mode: appears twice in one object (first at line 1, column 1); keep one\n",
                errorOf("twice.yaml", "mode: ACTIVE_PASSIVE\nbackends: []\nmode: ACTIVE_ACTIVE\n"));
        assertEquals("%s:3:3: a ',' is missing between this field and the one before it\n",
                errorOf("comma.json", "{\n  \"mode\": \"ACTIVE_PASSIVE\"\n  \"backends\": []\n}\n"));
    }

    private String errorOf(String name, String text) throws IOException {
        Path file = write(name, text);
        Run run = validate(file);
        assertEquals(1, run.status(), run.err());
        return run.err().replace(file.toString(), "%s");
    }

    @Test
    void unknownFieldsNameTheirPathPlaceAndTheFieldMeant() throws IOException {
        Path file = write("typos.yaml", """
                mode: ACTIVE_PASSIVE
                backends:
                  - id: a
                    host: 10.0.0.1
                    port: 8080
                  - id: b
                    host: 10.0.0.2
                    port: 8080
                    Priority: 1
                    heathCheck:
                      type: TCP
                    colour: red
                """);
        Run run = validate(file);
        assertEquals(1, run.status());
        assertEquals(file + ": 3 problems\n"
                + file + ":9:5: backends[1].Priority: unknown field; did you mean `priority`?\n"
                + file + ":12:5: backends[1].colour: unknown field\n"
                + file + ":10:5: backends[1].heathCheck: unknown field; did you mean `healthCheck`?\n", run.err());
    }

    @Test
    void problemsOutsideTheFileHaveNoPlace() throws IOException {
        Path file = write("passthrough.json", """
                {"tlsMode": "PASSTHROUGH",
                 "backends": [{"id": "a", "host": "10.0.0.1", "port": 0}]}
                """);
        Run run = validate(file);
        assertEquals(file + ": 2 problems\n"
                + file + ":2:47: backends[0].port: must be between 1 and 65535\n"
                + file + ": fqdn: is required when tlsMode is PASSTHROUGH: the proxy routes connections by the SNI name\n", run.err());
        Path missing = dir.resolve("missing.yaml");
        assertEquals(missing + ": does not exist\n", validate(missing).err());
    }

    @Test
    void goodFilesSayOkAndOneBadFileFailsTheRun() throws IOException {
        Path good = write("good.yaml", """
                listener: {host: 0.0.0.0, port: 8443}
                mode: ACTIVE_PASSIVE
                backends:
                  - {id: a, host: 10.0.0.1, port: 8080}
                """);
        Path bad = write("bad.yaml", "mode: [ACTIVE_PASSIVE\n");
        Run run = validate(good, bad);
        assertEquals(1, run.status());
        assertEquals(good + ": OK (ACTIVE_PASSIVE, TERMINATE, 1 backends, listener 0.0.0.0:8443)\n", run.out());
        assertEquals(bad + ":1:7: the list opened with '[' here is never closed with ']'\n", run.err());
        assertEquals(0, validate(good).status());
    }

    @Test
    void aBadTopologyFileStopsTheStartWithTheSameLines() throws IOException {
        Path file = write("start.yaml", "mode: ACTIVE_PASSIVE\nbackends:\n  - id: a\n    host 10.0.0.1\n    port: 8080\n");
        IllegalArgumentException e;
        try (ValidatorFactory factory = ValidateCommand.validatorFactory()) {
            TopologyValidator validator = new TopologyValidator(factory.getValidator());
            e = assertThrows(IllegalArgumentException.class, () -> TopologyFiles.load(file, validator));
        }
        assertEquals(file + ":4:5: missing ':' after the key; `host 10.0.0.1` should read `host: 10.0.0.1`", e.getMessage());
    }
}
