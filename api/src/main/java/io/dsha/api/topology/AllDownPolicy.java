package io.dsha.api.topology;

/** What proxies do when no backend is believed up: try them all in priority order anyway (like Envoy's panic mode), or answer 503 at once. */
public enum AllDownPolicy {
    TRY_ALL, FAIL_FAST
}
