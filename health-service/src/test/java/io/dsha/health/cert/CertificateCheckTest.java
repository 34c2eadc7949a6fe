package io.dsha.health.cert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.health.support.TestCa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of certificate trouble is reported on its own, in words that say what to fix. */
class CertificateCheckTest {

    private static final String FQDN = "datastack.example.com";

    private final TestCa ca = new TestCa();
    private final CertificateCheck check = new CertificateCheck(List.of(ca.certificate()), 30, Clock.systemUTC());

    @Test
    void aTrustedCertificateForTheFqdnFarFromExpiryHasNoProblem() {
        CertificateReport r = check.check(List.of(ca.issue(200, FQDN).cert()), FQDN);
        assertEquals(List.of(), r.problems());
        assertEquals(199, r.daysToExpiry());
        assertEquals("CN=" + FQDN, r.subject());
    }

    @Test
    void selfSigned() {
        CertificateReport r = check.check(List.of(TestCa.selfSigned(FQDN).cert()), FQDN);
        assertEquals(1, r.problems().size(), r.problems().toString());
        assertTrue(r.problems().get(0).startsWith("certificate is self-signed (CN=" + FQDN + ")"), r.problems().get(0));
    }

    @Test
    void signedByAnAuthorityNobodyTrusts() {
        TestCa other = new TestCa();
        CertificateReport r = check.check(List.of(other.issue(200, FQDN).cert()), FQDN);
        assertEquals(1, r.problems().size(), r.problems().toString());
        assertTrue(r.problems().get(0).startsWith("certificate chain is not trusted (issuer CN=dsha health test CA"), r.problems().get(0));
    }

    @Test
    void expired() {
        CertificateReport r = check.check(List.of(ca.issue(-2, FQDN).cert()), FQDN);
        assertEquals(1, r.problems().size(), "expiry is reported once, not again as distrust: " + r.problems());
        assertTrue(r.problems().get(0).startsWith("certificate expired on "), r.problems().get(0));
        assertTrue(r.daysToExpiry() < 0);
    }

    @Test
    void expiringWithinTheWarningWindow() {
        CertificateReport r = check.check(List.of(ca.issue(10, FQDN).cert()), FQDN);
        assertEquals(List.of("certificate expires in 9 days, on " + r.notAfter() + " (warning window: 30 days; CN=" + FQDN + ")"), r.problems());
    }

    @Test
    void aNameOtherThanTheFqdn() {
        CertificateReport r = check.check(List.of(ca.issue(200, "other.example.com", "www.example.com").cert()), FQDN);
        assertEquals(List.of("certificate does not name " + FQDN + " (it names: other.example.com, www.example.com)"), r.problems());
    }

    @Test
    void aWildcardCoversOneLabel() {
        assertEquals(List.of(), check.check(List.of(ca.issue(200, "*.example.com").cert()), FQDN).problems());
        assertEquals(1, check.check(List.of(ca.issue(200, "*.com").cert()), FQDN).problems().size());
    }

    @Test
    void everyProblemAtOnce() {
        CertificateReport r = check.check(List.of(TestCa.selfSigned("wrong.example.org").cert()), FQDN);
        assertEquals(2, r.problems().size(), r.problems().toString());
    }

    @Test
    void aPemTrustStoreFileIsRead(@TempDir Path dir) throws Exception {
        Path pem = ca.writeCaPem(dir);
        CertificateCheck fromFile = new CertificateCheck(CertificateCheck.trustedCertificates(Optional.of(pem), Optional.empty()), 30,
                Clock.systemUTC());
        assertEquals(List.of(), fromFile.check(List.of(ca.issue(200, FQDN).cert()), FQDN).problems());

        Path junk = Files.writeString(dir.resolve("junk.p12"), "not a key store");
        var e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> CertificateCheck.trustedCertificates(Optional.of(junk), Optional.empty()));
        assertTrue(e.getMessage().contains("is not a PEM, PKCS#12 or JKS trust store"), e.getMessage());
    }

    @Test
    void theSystemTrustStoreDoesNotTrustATestAuthority() throws Exception {
        CertificateCheck system = new CertificateCheck(CertificateCheck.trustedCertificates(Optional.empty(), Optional.empty()), 30,
                Clock.systemUTC());
        assertTrue(system.check(List.of(ca.issue(200, FQDN).cert()), FQDN).problems().get(0).startsWith("certificate chain is not trusted"));
    }
}
