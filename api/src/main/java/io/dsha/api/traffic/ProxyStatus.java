package io.dsha.api.traffic;

import java.time.Instant;

/**
 * One proxy as the control plane last heard of it ({@code GET /api/v1/proxies}): its own report ({@link ProxyInfo}:
 * host, listener, readiness; null fields for a proxy that sends none), the requests per second it served over its
 * last window, when that report came, whether it came within the window ({@code heard}: a silent proxy is down,
 * frozen or cut off from the control plane, and its readiness is what it said last), and whether it carries traffic
 * now ({@code holdsTraffic}: heard, and serving).
 */
public record ProxyStatus(String id, String host, String listener, Boolean ready, Boolean shuttingDown, double requestsPerSecond,
        Instant lastReport, boolean heard, boolean holdsTraffic) {

    /** A proxy's line, {@code holdsTraffic} worked out from {@code heard} and the rate. */
    public static ProxyStatus of(String id, ProxyInfo info, double requestsPerSecond, Instant lastReport, boolean heard) {
        return new ProxyStatus(id, info == null ? null : info.host(), info == null ? null : info.listener(),
                info == null ? null : info.ready(), info == null ? null : info.shuttingDown(), requestsPerSecond, lastReport, heard,
                heard && requestsPerSecond > 0);
    }
}
