package io.dsha.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.dsha.api.json.DshaJson;
import io.dsha.api.topology.Topology;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StackTest {

    @Test
    void theListenerIsReadFromTheProxysReadinessJson() {
        String ready = """
                {"status": "UP", "checks": [{"name": "routing", "status": "UP",
                  "data": {"controlPlane": "connected", "revision": 4, "listener": "https://0.0.0.0:8443", "tlsMode": "TERMINATE"}}]}""";
        assertEquals("https://0.0.0.0:8443", Stack.readyListener(ready));
        assertNull(Stack.readyListener("""
                {"status": "DOWN", "checks": [{"name": "routing", "status": "DOWN", "data": {"controlPlane": "unreachable"}}]}"""));
        assertNull(Stack.readyListener("not json"));
    }

    @Test
    void theDemoTopologyIsWhatAnOperatorWouldWrite() throws Exception {
        StackOptions o = new StackOptions(Path.of("/repo"), Path.of("/tmp/s"), "ACTIVE_ACTIVE", "PASSTHROUGH", 0, 0, 1, 200, 2, -1, 500,
                Map.of(), Map.of());
        List<Stack.Sim> sims = List.of(new Stack.Sim("a", null, "https://127.0.0.1:4001"), new Stack.Sim("b", null, "https://127.0.0.1:4002"));
        Topology expected = DshaJson.bind("""
                {"listener": {"host": "127.0.0.1", "port": 8443}, "fqdn": "datastack.localhost", "tlsMode": "PASSTHROUGH",
                 "mode": "ACTIVE_ACTIVE", "failback": {"policy": "MANUAL"}, "allDown": "TRY_ALL",
                 "backends": [
                  {"id": "a", "host": "127.0.0.1", "port": 4001, "priority": 0, "healthCheck": {"type": "HTTP", "path": "/health",
                   "expectStatus": 200, "intervalMs": 200, "timeoutMs": 100, "rise": 2, "fall": 2}},
                  {"id": "b", "host": "127.0.0.1", "port": 4002, "priority": 1, "healthCheck": {"type": "HTTP", "path": "/health",
                   "expectStatus": 200, "intervalMs": 200, "timeoutMs": 100, "rise": 2, "fall": 2}}],
                 "freshness": {"path": "/status", "pointer": "/ingest/lastRecordTime", "kind": "TIMESTAMP", "maxLag": 30000,
                   "intervalMs": 5000, "timeoutMs": 1000, "failoverHoldMs": 10000}}""", Topology.class).value();
        Topology t = Stack.topology(o, sims);
        assertEquals(expected, t);
        // As the control plane binds it: strictly, every field known.
        DshaJson.Binding<Topology> sent = DshaJson.bind(DshaJson.mapper().writeValueAsString(t), Topology.class);
        assertEquals(List.of(), sent.violations());
        assertEquals(t, sent.value());
    }

    @Test
    void anAutoFailbackTakesTheOptionsDelayAndNoFreshnessWithoutAFeed() {
        StackOptions o = new StackOptions(Path.of("/repo"), Path.of("/tmp/s"), "ACTIVE_PASSIVE", "TERMINATE", 9443, 0, 1, 1000, 3, 1000, 0,
                Map.of(), Map.of());
        Topology t = Stack.topology(o, List.of(new Stack.Sim("a", null, "http://127.0.0.1:4001")));
        assertEquals(1000L, t.failback().delayMs());
        assertEquals(9443, t.listener().port());
        assertEquals(3, t.backends().get(0).healthCheck().rise());
        assertNull(t.freshness());
    }
}
