package io.dsha.health.probe;

import io.dsha.health.cert.CertificateReport;

/**
 * The result of one probe: whether it passed, why not (or what was seen), how long it took, and what
 * the certificate check found when the probe spoke TLS ({@code certificate} is null otherwise).
 */
public record ProbeResult(boolean ok, String reason, long latencyMs, CertificateReport certificate) {

    public static ProbeResult up(long latencyMs, CertificateReport certificate) {
        return new ProbeResult(true, null, latencyMs, certificate);
    }

    public static ProbeResult down(String reason, long latencyMs, CertificateReport certificate) {
        return new ProbeResult(false, reason, latencyMs, certificate);
    }
}
