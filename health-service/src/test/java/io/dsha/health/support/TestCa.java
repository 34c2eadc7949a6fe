package io.dsha.health.support;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made in the test, issuing server certificates with any names and
 * validity (expired, about to expire), and self-signed ones; checkers trust it through a PEM file.
 */
public final class TestCa {

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final KeyPair key;
    private final X509Certificate cert;

    /** A server certificate and its key. */
    public record Issued(X509Certificate cert, KeyPair key) {
        /** For a Vert.x server. */
        public PemKeyCertOptions keyCert() {
            return new PemKeyCertOptions().setCertValue(Buffer.buffer(pem(cert))).setKeyValue(Buffer.buffer(pem(key.getPrivate())));
        }
    }

    public TestCa() {
        key = rsa();
        X500Name name = new X500Name("CN=dsha health test CA " + SERIAL.incrementAndGet());
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(Instant.now().minus(Duration.ofDays(400))), Date.from(Instant.now().plus(Duration.ofDays(400))), name, key.getPublic());
        try {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        cert = sign(b, key);
    }

    public X509Certificate certificate() {
        return cert;
    }

    /** Valid from yesterday for {@code days} more days (negative: expired that many days ago). */
    public Issued issue(long days, String... dnsNames) {
        Instant now = Instant.now();
        Instant notAfter = now.plus(Duration.ofDays(days));
        Instant notBefore = days < 0 ? notAfter.minus(Duration.ofDays(30)) : now.minus(Duration.ofDays(1));
        KeyPair k = rsa();
        return new Issued(sign(server(new X500Name(cert.getSubjectX500Principal().getName()), notBefore, notAfter, k, dnsNames), key), k);
    }

    /** Signed by its own key, for the names given, valid for a year. */
    public static Issued selfSigned(String... dnsNames) {
        KeyPair k = rsa();
        X500Name subject = new X500Name("CN=" + dnsNames[0]);
        return new Issued(sign(server(subject, Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(365)), k, dnsNames), k), k);
    }

    public Path writeCaPem(Path dir) {
        try {
            return Files.writeString(dir.resolve("ca.crt"), pem(cert));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static X509v3CertificateBuilder server(X500Name issuer, Instant notBefore, Instant notAfter, KeyPair k, String... dnsNames) {
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(notBefore),
                Date.from(notAfter), new X500Name("CN=" + dnsNames[0]), k.getPublic());
        GeneralName[] names = new GeneralName[dnsNames.length];
        for (int i = 0; i < dnsNames.length; i++) {
            names[i] = new GeneralName(GeneralName.dNSName, dnsNames[i]);
        }
        try {
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b;
    }

    static String pem(Object o) {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
            pw.writeObject(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    private static KeyPair rsa() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair signer) {
        try {
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA").build(signer.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
