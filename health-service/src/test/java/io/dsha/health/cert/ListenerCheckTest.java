package io.dsha.health.cert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.dsha.api.topology.Backend;
import io.dsha.api.topology.Listener;
import io.dsha.api.topology.Mode;
import io.dsha.api.topology.TlsMode;
import io.dsha.api.topology.Topology;
import io.dsha.health.probe.ProbeTarget;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Where the proxy's listener is reached from a checker, and what name its certificate must carry. */
class ListenerCheckTest {

    private static Topology topology(TlsMode mode, String fqdn, String listenerHost) {
        return new Topology(new Listener(listenerHost, 8443), fqdn, mode, Mode.ACTIVE_PASSIVE, null, null,
                List.of(new Backend("a", "10.0.0.1", 8080, null, null, null, null)));
    }

    private static ProbeTarget target(Topology t, Optional<String> address) {
        return ListenerCheck.target(t, address, Duration.ofSeconds(2));
    }

    @Test
    void theFqdnAndTheListenersPortByDefault() {
        ProbeTarget t = target(topology(TlsMode.TERMINATE, "lb.example.com", "0.0.0.0"), Optional.empty());
        assertEquals("lb.example.com:8443", t.address());
        assertEquals("lb.example.com", t.expectedName());
        assertEquals(2000, t.check().timeoutMs());
    }

    @Test
    void anExplicitAddressWinsAndTheNameIsStillTheFqdn() {
        ProbeTarget t = target(topology(TlsMode.TERMINATE, "lb.example.com", "0.0.0.0"), Optional.of("127.0.0.1:9443"));
        assertEquals("127.0.0.1:9443", t.address());
        assertEquals("lb.example.com", t.expectedName());
    }

    @Test
    void withoutAnFqdnAWildcardListenerCannotBeReachedButAConcreteOneCan() {
        assertNull(target(topology(TlsMode.TERMINATE, null, "0.0.0.0"), Optional.empty()));
        assertEquals("10.0.0.9:8443", target(topology(TlsMode.TERMINATE, null, "10.0.0.9"), Optional.empty()).address());
    }

    @Test
    void passthroughHasNoCertificateOfItsOwn() {
        assertNull(target(topology(TlsMode.PASSTHROUGH, "lb.example.com", "0.0.0.0"), Optional.of("127.0.0.1:9443")));
    }
}
