package io.dsha.health.cert;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Judges a certificate chain the way a strict client would (KB376: devices built on systems-on-chip
 * refuse self-signed certificates): chain of trust against the system trust store or a configured
 * one, the expected host name, and the days left before expiry. Each problem is said separately and
 * exactly, so an operator knows what to fix. Thread-safe.
 */
public final class CertificateCheck {

    private final Set<TrustAnchor> anchors;
    private final int warnDays;
    private final Clock clock;

    public CertificateCheck(Collection<X509Certificate> trusted, int warnDays, Clock clock) {
        if (warnDays < 0) {
            throw new IllegalArgumentException("warnDays: " + warnDays + " (expected: >= 0)");
        }
        Set<TrustAnchor> set = new HashSet<>();
        trusted.forEach(c -> set.add(new TrustAnchor(c, null)));
        this.anchors = Set.copyOf(set);
        this.warnDays = warnDays;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Trusts what the JVM trusts (its {@code cacerts}), or the certificates of {@code file} (PEM, PKCS#12 or JKS). */
    public static List<X509Certificate> trustedCertificates(Optional<Path> file, Optional<String> password) throws IOException {
        if (file.isEmpty()) {
            try {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init((KeyStore) null);
                for (var tm : tmf.getTrustManagers()) {
                    if (tm instanceof X509TrustManager x) {
                        return List.of(x.getAcceptedIssuers());
                    }
                }
                throw new IOException("the JVM has no X.509 trust manager");
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot read the system trust store: " + e.getMessage(), e);
            }
        }
        Path p = file.get();
        byte[] bytes = Files.readAllBytes(p);
        try {
            List<X509Certificate> certs = new ArrayList<>();
            if (new String(bytes, StandardCharsets.US_ASCII).contains("-----BEGIN CERTIFICATE-----")) {
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(new java.io.ByteArrayInputStream(bytes))) {
                    certs.add((X509Certificate) c);
                }
            } else {
                KeyStore ks = KeyStore.getInstance(p.toString().toLowerCase(Locale.ROOT).endsWith(".jks") ? "JKS" : "PKCS12");
                try (InputStream in = Files.newInputStream(p)) {
                    ks.load(in, password.map(String::toCharArray).orElse(null));
                } catch (IOException e) {
                    throw new IOException(p + " is not a PEM, PKCS#12 or JKS trust store, or dsha.trust-store-password is wrong: "
                            + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
                }
                for (String alias : java.util.Collections.list(ks.aliases())) {
                    if (ks.getCertificate(alias) instanceof X509Certificate x) {
                        certs.add(x);
                    }
                }
            }
            if (certs.isEmpty()) {
                throw new IOException(p + " holds no certificate");
            }
            return certs;
        } catch (GeneralSecurityException e) {
            throw new IOException(p + " is not a PEM, PKCS#12 or JKS trust store: " + e.getMessage(), e);
        }
    }

    /** {@code chain}: as the server presented it, leaf first. {@code expectedName}: the name clients use (the FQDN). */
    public CertificateReport check(List<X509Certificate> chain, String expectedName) {
        if (chain.isEmpty()) {
            return new CertificateReport(null, null, 0, List.of("no certificate was presented"));
        }
        X509Certificate leaf = chain.get(0);
        Instant now = clock.instant();
        Instant notAfter = leaf.getNotAfter().toInstant();
        long days = Math.floorDiv(Duration.between(now, notAfter).toSeconds(), 86_400);
        String subject = leaf.getSubjectX500Principal().getName();
        List<String> problems = new ArrayList<>();
        if (now.isAfter(notAfter)) {
            problems.add("certificate expired on " + notAfter + " (" + subject + ")");
        } else if (now.isBefore(leaf.getNotBefore().toInstant())) {
            problems.add("certificate is not valid before " + leaf.getNotBefore().toInstant() + " (" + subject + ")");
        } else if (days < warnDays) {
            problems.add("certificate expires in " + days + " days, on " + notAfter + " (warning window: " + warnDays + " days; " + subject + ")");
        }
        if (selfSigned(leaf)) {
            problems.add("certificate is self-signed (" + subject + "): clients that refuse self-signed certificates will not connect");
        } else {
            untrusted(chain, leaf).ifPresent(problems::add);
        }
        if (expectedName != null && !names(leaf, expectedName)) {
            problems.add("certificate does not name " + expectedName + " (it names: " + String.join(", ", dnsNames(leaf)) + ")");
        }
        return new CertificateReport(subject, notAfter, days, problems);
    }

    private Optional<String> untrusted(List<X509Certificate> chain, X509Certificate leaf) {
        try {
            List<X509Certificate> path = new ArrayList<>(chain);
            // The anchor itself is not part of the path to validate.
            path.removeIf(c -> anchors.stream().anyMatch(a -> a.getTrustedCert().equals(c)));
            if (path.isEmpty()) {
                return Optional.empty();
            }
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            // Judge trust apart from expiry (which is reported on its own): validate at a moment the leaf was valid.
            Instant at = clock.instant();
            if (at.isAfter(leaf.getNotAfter().toInstant()) || at.isBefore(leaf.getNotBefore().toInstant())) {
                at = leaf.getNotAfter().toInstant().minusSeconds(1);
            }
            params.setDate(Date.from(at));
            CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
            return Optional.empty();
        } catch (CertPathValidatorException e) {
            return Optional.of("certificate chain is not trusted (issuer " + leaf.getIssuerX500Principal().getName() + "): " + e.getMessage());
        } catch (GeneralSecurityException e) {
            return Optional.of("certificate chain could not be checked: " + e.getMessage());
        }
    }

    private static boolean selfSigned(X509Certificate c) {
        if (!c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
            return false;
        }
        try {
            c.verify(c.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** RFC 6125: the DNS names (or IP addresses) of the subject alternative names; a wildcard covers one leftmost label. */
    static boolean names(X509Certificate c, String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        for (String n : dnsNames(c)) {
            String have = n.toLowerCase(Locale.ROOT);
            if (have.equals(wanted)) {
                return true;
            }
            if (have.startsWith("*.")) {
                int dot = wanted.indexOf('.');
                if (dot > 0 && wanted.substring(dot).equals(have.substring(1))) {
                    return true;
                }
            }
        }
        return false;
    }

    static List<String> dnsNames(X509Certificate c) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = c.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    int type = (Integer) san.get(0);
                    if (type == 2 || type == 7) {
                        names.add(String.valueOf(san.get(1)));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // no readable names: nothing matches
        }
        return names;
    }
}
