package io.dsha.api.traffic;

import java.time.Instant;
import java.util.List;

/**
 * What {@code GET /api/v1/proxies} answers: every proxy the control plane heard from lately (by id), at the control
 * plane's time {@code at}. In memory on the deciding control plane, not part of the revisioned state.
 */
public record Proxies(Instant at, List<ProxyStatus> proxies) {
    public Proxies {
        proxies = List.copyOf(proxies);
    }
}
