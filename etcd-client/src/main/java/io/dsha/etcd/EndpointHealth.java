package io.dsha.etcd;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * One endpoint's {@code GET /health}: healthy when its member has a leader, no alarm, and answered a read through raft.
 * {@code error}: why not (no answer, or what etcd said).
 */
public record EndpointHealth(URI endpoint, boolean healthy, Optional<String> error) {

    public EndpointHealth {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(error, "error");
    }
}
