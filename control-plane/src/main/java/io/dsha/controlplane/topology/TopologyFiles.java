package io.dsha.controlplane.topology;

import io.dsha.api.problem.Violation;
import io.dsha.api.topology.Topology;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** Reads topology files: YAML for {@code .yaml}/{@code .yml}, JSON otherwise. */
public final class TopologyFiles {

    private TopologyFiles() {
    }

    /** Every problem with the file at {@code path}; an empty list means it is a valid topology. */
    public static TopologyValidator.Checked<Topology> check(Path path, TopologyValidator validator) {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            String why = Files.exists(path) ? "cannot be read (" + e.getMessage() + ")" : "does not exist";
            return new TopologyValidator.Checked<>(null, List.of(new Violation(null, why)));
        }
        return validator.parse(text, isYaml(path));
    }

    /** The valid topology in {@code path}, or an exception whose message names the file and lists every problem. */
    public static ValidTopology load(Path path, TopologyValidator validator) {
        TopologyValidator.Checked<Topology> checked = check(path, validator);
        if (!checked.ok()) {
            throw new IllegalArgumentException(describe(path, checked.violations()));
        }
        return new ValidTopology(checked.value());
    }

    /**
     * The problems with {@code path}, one a line in the form editors and compilers use,
     * {@code FILE:LINE:COLUMN: field: what is wrong} ({@code FILE: field: ...} when the problem has
     * no place in the file), after a count when there is more than one.
     */
    public static String describe(Path path, List<Violation> violations) {
        String lines = violations.stream().map(v -> line(path, v)).collect(Collectors.joining("\n"));
        return violations.size() == 1 ? lines : path + ": " + violations.size() + " problems\n" + lines;
    }

    private static String line(Path path, Violation v) {
        String where = v.line() == null ? path.toString() : path + ":" + v.line() + ":" + v.column();
        return where + ": " + (v.field() == null || v.field().isEmpty() ? "" : v.field() + ": ") + v.message();
    }

    static boolean isYaml(Path path) {
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }
}
