package io.dsha.health.ops;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The shared api types this service reads and writes with Jackson outside Quarkus's own REST
 * handling ({@code DshaJson} binds the control plane's snapshots): registered so a native
 * executable can construct them.
 */
@RegisterForReflection(targets = {
        io.dsha.api.state.StateSnapshot.class,
        io.dsha.api.state.Verdict.class,
        io.dsha.api.state.Vote.class,
        io.dsha.api.state.PassiveObservation.class,
        io.dsha.api.state.RoutingDecision.class,
        io.dsha.api.topology.Topology.class,
        io.dsha.api.topology.Listener.class,
        io.dsha.api.topology.Failback.class,
        io.dsha.api.topology.Backend.class,
        io.dsha.api.topology.HealthCheck.class,
        io.dsha.api.topology.JsonExpectation.class,
        io.dsha.api.topology.Freshness.class,
        io.dsha.api.report.Report.class,
        io.dsha.api.report.Observation.class,
        io.dsha.api.report.ReportReceipt.class})
public final class NativeReflection {

    private NativeReflection() {
    }
}
