package io.dsha.api.topology;

/** How a backend is probed: an HTTP GET with an expected status, a TCP connect, or a TLS handshake. */
public enum HealthCheckType {
    HTTP, TCP, TLS
}
