package io.dsha.api.traffic;

import java.time.Instant;
import java.util.List;

/**
 * What {@code GET /api/v1/traffic} answers: per backend, the sum of the rates that the proxies in
 * {@code proxies} reported lately (a proxy silent for longer than the window no longer counts), at
 * the control plane's time {@code at}. Not part of the revisioned state: it changes every second.
 */
public record Traffic(Instant at, List<String> proxies, List<BackendTraffic> backends) {

    public Traffic {
        proxies = List.copyOf(proxies);
        backends = List.copyOf(backends);
    }
}
