package io.dsha.api.topology;

/** Whether the proxy terminates TLS (clients speak HTTPS to it, it speaks HTTP to the backends) or relays the TLS bytes untouched, routing by SNI. */
public enum TlsMode {
    TERMINATE, PASSTHROUGH
}
