package io.dsha.api.nativeimage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dsha.api.json.DshaJson;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The shared native-image configuration ({@code src-native/config}, packed into this jar under
 * {@code META-INF/native-image/io.dsha/dsha-api/}) keeps up with the wire types: every record and
 * enum of the packages that travel as JSON is registered for reflection, and nothing registered is
 * gone. Jackson builds these types by reflection, which a native executable only allows for
 * registered classes; a type added without registration would bind on the JVM and fail native.
 */
class NativeImageConfigTest {

    private static final String DIR = "META-INF/native-image/io.dsha/dsha-api/";
    /** The packages whose types are read and written as JSON (topology, reports, snapshots, events, problems, traffic). */
    private static final List<String> WIRE_PACKAGES = List.of("event", "problem", "report", "state", "topology", "traffic");

    @Test
    void everyWireTypeIsRegisteredForReflectionAndNothingElse() throws Exception {
        Set<String> registered = new TreeSet<>();
        for (JsonNode entry : new ObjectMapper().readTree(resource("reflect-config.json"))) {
            String name = entry.get("name").asText();
            registered.add(name);
            for (String member : List.of("allDeclaredConstructors", "allDeclaredMethods", "allDeclaredFields")) {
                assertTrue(entry.path(member).asBoolean(), name + ": " + member + " (Jackson reads record components and constructors)");
            }
        }
        assertEquals(wireTypes(), registered,
                "src-native/config/reflect-config.json must list exactly the records and enums of io.dsha.api." + WIRE_PACKAGES);
    }

    @Test
    void theRunTimeInitialisedClassesExist() throws Exception {
        Properties p = new Properties();
        p.load(new java.io.StringReader(new String(resource("native-image.properties"), StandardCharsets.UTF_8)));
        String args = p.getProperty("Args");
        assertNotNull(args, "native-image.properties: Args");
        for (String arg : args.trim().split("\\s+")) {
            String prefix = "--initialize-at-run-time=";
            assertTrue(arg.startsWith(prefix), arg);
            for (String name : arg.substring(prefix.length()).split(",")) {
                Class.forName(name, false, getClass().getClassLoader());
            }
        }
    }

    private byte[] resource(String name) throws IOException {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(DIR + name)) {
            assertNotNull(in, DIR + name + " is on the class path (api/pom.xml packs src-native/config)");
            return in.readAllBytes();
        }
    }

    /** The records and enums compiled from the wire packages, by binary name. */
    private Set<String> wireTypes() throws IOException, URISyntaxException, ClassNotFoundException {
        Path classes = Path.of(DshaJson.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Set<String> types = new TreeSet<>();
        for (String pkg : WIRE_PACKAGES) {
            Path dir = classes.resolve("io/dsha/api/" + pkg);
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                    String file = f.getFileName().toString();
                    String name = "io.dsha.api." + pkg + "." + file.substring(0, file.length() - ".class".length());
                    Class<?> type = Class.forName(name, false, getClass().getClassLoader());
                    if (type.isRecord() || type.isEnum()) {
                        types.add(name);
                    }
                }
            }
        }
        return types;
    }
}
