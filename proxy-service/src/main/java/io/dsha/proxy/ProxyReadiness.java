package io.dsha.proxy;

import io.dsha.proxy.balance.RoutingTable;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Ready when the proxy has a routing decision, its data listener is bound, and it is not shutting down. */
@Readiness
@ApplicationScoped
public class ProxyReadiness implements HealthCheck {

    private final ProxyBeans.Proxy proxy;

    ProxyReadiness(ProxyBeans.Proxy proxy) {
        this.proxy = proxy;
    }

    @Override
    public HealthCheckResponse call() {
        RoutingTable table = proxy.routing().table();
        boolean listening = proxy.front().listening();
        boolean shutting = proxy.path().shuttingDown();
        HealthCheckResponseBuilder b = HealthCheckResponse.named("routing")
                .status(ready(proxy.routing(), proxy.front(), proxy.path()))
                .withData("controlPlane", proxy.follower().connected() ? "connected" : "unreachable")
                .withData("shuttingDown", shutting);
        if (table != null) {
            b.withData("revision", table.revision()).withData("active", String.join(",", table.snapshot().routing().active()));
        }
        if (listening) {
            b.withData("listener", proxy.front().scheme() + "://" + proxy.front().host() + ":" + proxy.front().port())
                    .withData("tlsMode", String.valueOf(proxy.front().tlsMode()));
        }
        if (proxy.front().problem() != null) {
            b.withData("problem", proxy.front().problem());
        }
        return b.build();
    }

    /** Ready: a routing decision loaded, the data listener bound, not shutting down. */
    static boolean ready(io.dsha.proxy.follow.RoutingState routing, FrontServer front, io.dsha.proxy.http.DataPath path) {
        return routing.table() != null && front.listening() && !path.shuttingDown();
    }
}
