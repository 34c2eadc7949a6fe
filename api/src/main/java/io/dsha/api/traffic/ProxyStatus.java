package io.dsha.api.traffic;

import java.time.Instant;
import java.util.Map;

/**
 * One proxy as the control plane last heard of it ({@code GET /api/v1/proxies}): its own report ({@link ProxyInfo}:
 * host, listener, readiness; null fields for a proxy that sends none), the requests per second it served over its
 * last window, when that report came, whether it came within the window ({@code heard}: a silent proxy is down,
 * frozen or cut off from the control plane, and its readiness is what it said last), and whether it carries traffic
 * now ({@code holdsTraffic}: heard, and serving). {@code ingest} (with ingest routes): by backend id, the
 * {@link IngestBacklog} it reported for each backend; null when it reports none.
 */
public record ProxyStatus(String id, String host, String listener, Boolean ready, Boolean shuttingDown, double requestsPerSecond,
        Instant lastReport, boolean heard, boolean holdsTraffic, Map<String, IngestBacklog> ingest) {

    public ProxyStatus {
        ingest = ingest == null || ingest.isEmpty() ? null : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(ingest));
    }

    /** A proxy's line, {@code holdsTraffic} worked out from {@code heard} and the rate. */
    public static ProxyStatus of(String id, ProxyInfo info, double requestsPerSecond, Instant lastReport, boolean heard,
            Map<String, IngestBacklog> ingest) {
        return new ProxyStatus(id, info == null ? null : info.host(), info == null ? null : info.listener(),
                info == null ? null : info.ready(), info == null ? null : info.shuttingDown(), requestsPerSecond, lastReport, heard,
                heard && requestsPerSecond > 0, ingest);
    }
}
