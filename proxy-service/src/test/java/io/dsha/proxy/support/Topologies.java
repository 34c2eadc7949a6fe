package io.dsha.proxy.support;

/** Topology documents for the proxy tests. The listener port is overridden by the proxy (dsha.listener.port=0). */
public final class Topologies {

    private Topologies() {
    }

    public static String twoBackends(String mode, String failback, TestBackend a, TestBackend b) {
        return """
                {"listener": {"host": "127.0.0.1", "port": 9},
                 "mode": "%s",
                 "failback": {"policy": "%s", "delayMs": 0},
                 "backends": [
                   {"id": "a", "host": "127.0.0.1", "port": %d, "priority": 0, "weight": 1},
                   {"id": "b", "host": "127.0.0.1", "port": %d, "priority": 1, "weight": 1}]}
                """.formatted(mode, failback, a.port(), b.port());
    }
}
