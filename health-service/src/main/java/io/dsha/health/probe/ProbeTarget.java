package io.dsha.health.probe;

import io.dsha.api.topology.HealthCheck;
import java.util.Objects;

/**
 * Where and how to probe one backend, resolved from the topology: the address to connect to (the
 * backend's, or this checker's override of it), whether the check speaks TLS, and the name its
 * certificate must carry (the topology's FQDN, else the backend's host). Immutable.
 */
public record ProbeTarget(String backendId, String host, int port, HealthCheck check, boolean tls, String expectedName) {

    public ProbeTarget {
        Objects.requireNonNull(backendId, "backendId");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(check, "check");
    }

    public String address() {
        return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }
}
