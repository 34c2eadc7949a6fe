package io.dsha.health.cert;

import java.time.Instant;
import java.util.List;

/**
 * What the certificate check found about one presented chain: the leaf's subject, when it expires,
 * whole days left (negative once expired), and every problem in words ({@code problems} is empty for
 * a certificate a client would accept without a second thought).
 */
public record CertificateReport(String subject, Instant notAfter, long daysToExpiry, List<String> problems) {

    public CertificateReport {
        problems = List.copyOf(problems);
    }
}
