package io.dsha.launcher;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Map;

/**
 * What a stack is made of: where its state goes, the topology's mode and TLS mode, ports (0: free), how many
 * checkers, how fast they check, the failback policy, and extra settings for the proxy.
 *
 * @param root the repository root (where the modules' jars are)
 * @param checkIntervalMs the health-check interval of both backends (timeout a half of it)
 * @param failbackDelayMs AUTO failback's delay; a negative value means MANUAL
 * @param feedIntervalMs how often the simulated data sources feed both instances (0: never)
 * @param checkerSettings extra settings per checker id ({@code checker-1}, ...), e.g. an address override
 * @param controlPlanes 1: one control plane on its file store; 3 (or 2, 5): replicas {@code cp-1}... on a 3-member etcd
 *     cluster, on ports {@code controlPlanePort}, +1, +2 (free ones where it is 0)
 */
public record StackOptions(Path root, Path stateDir, String mode, String tlsMode, int lbPort, int controlPlanePort, int checkers,
        long checkIntervalMs, int riseFall, long failbackDelayMs, long feedIntervalMs, Map<String, String> proxySettings,
        Map<String, Map<String, String>> checkerSettings, int controlPlanes) {

    /** One control plane on its file store. */
    public StackOptions(Path root, Path stateDir, String mode, String tlsMode, int lbPort, int controlPlanePort, int checkers,
            long checkIntervalMs, int riseFall, long failbackDelayMs, long feedIntervalMs, Map<String, String> proxySettings,
            Map<String, Map<String, String>> checkerSettings) {
        this(root, stateDir, mode, tlsMode, lbPort, controlPlanePort, checkers, checkIntervalMs, riseFall, failbackDelayMs, feedIntervalMs,
                proxySettings, checkerSettings, 1);
    }

    public static final String FQDN = "datastack.localhost";

    public StackOptions {
        requireNonNull(root, "root");
        requireNonNull(stateDir, "stateDir");
        mode = normalise(mode, "mode", "ACTIVE_PASSIVE", "ACTIVE_ACTIVE");
        tlsMode = normalise(tlsMode, "tls-mode", "TERMINATE", "PASSTHROUGH");
        if (checkers < 1 || checkers > 9) {
            throw new IllegalArgumentException("checkers: " + checkers + " (expected: 1..9)");
        }
        if (controlPlanes < 1 || controlPlanes > 5) {
            throw new IllegalArgumentException("control planes: " + controlPlanes + " (expected: 1..5)");
        }
        if (controlPlanePort > 0 && controlPlanePort + controlPlanes - 1 > 65535) {
            throw new IllegalArgumentException("cp-port: " + controlPlanePort + " leaves no room for " + controlPlanes + " control planes");
        }
        proxySettings = Map.copyOf(proxySettings);
        checkerSettings = Map.copyOf(checkerSettings);
    }

    /** The demo's defaults: one checker every second, AUTO failback after 10 s, data fed every second. */
    public static StackOptions demo(Path root, Path stateDir) {
        return new StackOptions(root, stateDir, "ACTIVE_PASSIVE", "TERMINATE", 8443, 9470, 1, 1000, 2, 10_000, 1000, Map.of(), Map.of());
    }

    public StackOptions with(String newMode, String newTlsMode, int newLbPort, int newCpPort, Path newStateDir) {
        return new StackOptions(root, newStateDir, newMode, newTlsMode, newLbPort, newCpPort, checkers, checkIntervalMs, riseFall,
                failbackDelayMs, feedIntervalMs, proxySettings, checkerSettings, controlPlanes);
    }

    /** The same with {@code n} control planes (more than one: replicas on etcd). */
    public StackOptions withControlPlanes(int n) {
        return new StackOptions(root, stateDir, mode, tlsMode, lbPort, controlPlanePort, checkers, checkIntervalMs, riseFall,
                failbackDelayMs, feedIntervalMs, proxySettings, checkerSettings, n);
    }

    /** Whether the control planes are replicas on etcd. */
    public boolean replicated() {
        return controlPlanes > 1;
    }

    public boolean passthrough() {
        return tlsMode.equals("PASSTHROUGH");
    }

    /** {@code active-passive}, {@code Active_Passive} and {@code ACTIVE_PASSIVE} are the same. */
    static String normalise(String value, String what, String... allowed) {
        String v = requireNonNull(value, what).trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        for (String a : allowed) {
            if (a.equals(v)) {
                return v;
            }
        }
        throw new IllegalArgumentException(what + ": " + value + " (expected: " + String.join(" or ", allowed) + ")");
    }
}
