package io.dsha.api.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dsha.api.json.DshaJson;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The withers: each replaces its one field, keeps the rest, and the result is written like any other topology. */
class TopologyTest {

    private final Topology topology = DshaJson.bind("""
            {"mode": "ACTIVE_PASSIVE", "freshness": {"path": "/status", "pointer": "/ingest/lastRecordTime"},
             "backends": [{"id": "a", "host": "h", "port": 1}, {"id": "b", "host": "h", "port": 2}]}""", Topology.class).value();

    @Test
    void withFailbackReplacesOnlyTheFailback() throws Exception {
        Topology manual = topology.withFailback(new Failback(FailbackPolicy.MANUAL, null));
        assertEquals(new Failback(FailbackPolicy.MANUAL, 30_000L), manual.failback());
        assertEquals(topology.backends(), manual.backends());
        assertEquals(topology.freshness(), manual.freshness());
        assertEquals(topology, manual.withFailback(topology.failback()));
        String written = DshaJson.mapper().writeValueAsString(manual);
        assertEquals(List.of(), DshaJson.bind(written, Topology.class).violations());
        assertEquals(manual, DshaJson.bind(written, Topology.class).value());
    }

    @Test
    void withBackendReplacesTheOneOfTheSameIdInPlace() {
        Topology t = topology.withBackend(topology.backend("a").orElseThrow().withAdminState(AdminState.DRAIN));
        assertEquals(List.of("a", "b"), t.backends().stream().map(Backend::id).toList());
        assertEquals(AdminState.DRAIN, t.backend("a").orElseThrow().adminState());
        assertEquals(topology.backend("b"), t.backend("b"));
    }
}
