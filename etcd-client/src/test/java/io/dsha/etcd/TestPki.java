package io.dsha.etcd;

import io.dsha.etcdproc.EtcdCluster;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made for one test, with a server certificate for etcd on 127.0.0.1 and a client certificate,
 * written as PEM files (keys as PKCS#8) into a directory.
 */
final class TestPki {

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
    private static final char[] NO_PASSWORD = new char[0];

    final Path ca;
    final Path serverCert;
    final Path serverKey;
    final Path clientCert;
    final Path clientKey;
    private final X509Certificate caCertificate;
    private final X509Certificate client;
    private final KeyPair clientPair;

    TestPki(Path dir) {
        try {
            KeyPair caPair = rsa();
            X500Name caName = new X500Name("CN=dsha etcd test CA " + SERIAL.incrementAndGet());
            caCertificate = issue(caName, caName, caPair, caPair, true);
            KeyPair serverPair = rsa();
            // clientAuth too: with --client-cert-auth, etcd's gateway dials etcd's own gRPC server with the server certificate,
            // and every gateway request fails (503 "connection closed") where that certificate may not authenticate a client
            X509Certificate server = issue(caName, new X500Name("CN=etcd"), serverPair, caPair, false, KeyPurposeId.id_kp_serverAuth,
                    KeyPurposeId.id_kp_clientAuth);
            clientPair = rsa();
            client = issue(caName, new X500Name("CN=dsha"), clientPair, caPair, false, KeyPurposeId.id_kp_clientAuth);
            ca = write(dir.resolve("ca.crt"), pem(caCertificate));
            serverCert = write(dir.resolve("server.crt"), pem(server));
            serverKey = write(dir.resolve("server.key"), pkcs8(serverPair));
            clientCert = write(dir.resolve("client.crt"), pem(client));
            clientKey = write(dir.resolve("client.key"), pkcs8(clientPair));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** What {@link EtcdCluster} needs to run etcd with TLS and client certificates, and to check its health itself. */
    EtcdCluster.Tls etcdTls() {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", caCertificate);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("client", clientPair.getPrivate(), NO_PASSWORD, new Certificate[] {client, caCertificate});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, NO_PASSWORD);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return new EtcdCluster.Tls(ca, serverCert, serverKey, context);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate issue(X500Name issuer, X500Name subject, KeyPair subjectPair, KeyPair issuerPair, boolean ca,
            KeyPurposeId... purposes) throws Exception {
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(Instant.now().minus(Duration.ofDays(1))), Date.from(Instant.now().plus(Duration.ofDays(7))), subject,
                subjectPair.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (purposes.length > 0) {
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes));
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")}));
        }
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerPair.getPrivate())));
    }

    private static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private static String pem(X509Certificate cert) throws IOException {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
            pw.writeObject(cert);
        }
        return w.toString();
    }

    private static String pkcs8(KeyPair pair) {
        return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(pair.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }

    private static Path write(Path file, String text) throws IOException {
        return Files.writeString(file, text);
    }
}
