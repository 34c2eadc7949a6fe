package io.dsha.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The proxy's packages form layers, read from the sources: the wiring ({@code io.dsha.proxy}) stands on everything;
 * {@code http} and {@code passthrough} stand on {@code listener}, never on each other; nothing stands on the wiring;
 * and no two packages depend on each other, directly or round a longer loop.
 */
class PackageLayersTest {

    private static final Path SOURCES = Path.of("src/main/java/io/dsha/proxy");
    private static final Pattern REFERENCE = Pattern.compile("\\bio\\.dsha\\.proxy\\.([a-z]+)\\.|\\bio\\.dsha\\.proxy\\.([A-Z]\\w*)");

    @Test
    void noPackageDependsOnAnotherThatDependsBackOnIt() {
        Map<String, Set<String>> graph = graph();
        List<String> cycles = new ArrayList<>();
        for (String start : graph.keySet()) {
            cycle(graph, start, start, new ArrayList<>(List.of(start)), cycles);
        }
        assertEquals(List.of(), cycles, "package cycles in proxy-service (" + graph + ")");
    }

    @Test
    void theTwoKindsOfListenerStandOnTheListenerLayerNotOnEachOther() {
        Map<String, Set<String>> graph = graph();
        assertTrue(graph.get("http").contains("listener"), graph.toString());
        assertTrue(graph.get("passthrough").contains("listener"), graph.toString());
        assertTrue(!graph.get("http").contains("passthrough") && !graph.get("passthrough").contains("http"), graph.toString());
        graph.forEach((pkg, deps) -> assertTrue(pkg.isEmpty() || !deps.contains(""), pkg + " depends on the wiring (io.dsha.proxy)"));
    }

    /** Package (relative to io.dsha.proxy; "" for the root) to the packages its sources refer to. */
    private static Map<String, Set<String>> graph() {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            files.filter(f -> f.toString().endsWith(".java")).forEach(f -> {
                Path dir = SOURCES.relativize(f.getParent());
                String pkg = dir.toString().replace('/', '.');
                Set<String> deps = graph.computeIfAbsent(pkg, k -> new TreeSet<>());
                Matcher m = REFERENCE.matcher(read(f));
                while (m.find()) {
                    String dep = m.group(1) != null ? m.group(1) : "";
                    if (!dep.equals(pkg)) {
                        deps.add(dep);
                    }
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return graph;
    }

    private static void cycle(Map<String, Set<String>> graph, String start, String at, List<String> path, List<String> cycles) {
        for (String next : graph.getOrDefault(at, Set.of())) {
            if (next.equals(start)) {
                cycles.add(String.join(" -> ", path) + " -> " + start);
            } else if (!path.contains(next) && next.compareTo(start) > 0) {
                path.add(next);
                cycle(graph, start, next, path, cycles);
                path.remove(path.size() - 1);
            }
        }
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
