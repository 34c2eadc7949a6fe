package io.dsha.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.proxy.support.ProxyProcess;
import io.dsha.proxy.support.TestBackend;
import io.dsha.proxy.support.TestCa;
import io.dsha.proxy.support.Topologies;
import io.dsha.testkit.ControlPlaneProcess;
import io.dsha.testkit.ProcessOutputOnFailure;
import io.vertx.core.Vertx;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The data listener's certificate, end to end against the real proxy: PEM files replaced on disk
 * are picked up for new connections without touching open ones; a PKCS#12 keystore works (and is
 * reloaded the same way); only TLS 1.2 and 1.3 are spoken.
 */
@ExtendWith(ProcessOutputOnFailure.class)
class CertificateReloadIT {

    @TempDir
    Path dir;

    private Vertx vertx;
    private TestBackend a;
    private TestBackend b;
    private ControlPlaneProcess cp;
    private ProxyProcess proxy;
    private TestCa ca;
    private int port;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        a = new TestBackend(vertx, "alpha");
        b = new TestBackend(vertx, "beta");
        cp = new ControlPlaneProcess(dir.resolve("cp"));
        cp.putTopology(Topologies.twoBackends("ACTIVE_PASSIVE", "MANUAL", a, b));
        cp.settle("a", "UP");
        cp.settle("b", "UP");
        ca = new TestCa();
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        cp.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private void startProxy(Map<String, String> tls) {
        Map<String, String> settings = new HashMap<>(tls);
        settings.put("dsha.state-dir", dir.resolve("proxy").toString());
        settings.put("dsha.tls.reload-interval", "200ms");
        proxy = new ProxyProcess(cp, settings);
        port = proxy.awaitReady();
    }

    private void startPemProxy() {
        startProxy(Map.of(
                "dsha.tls.cert-file", dir.resolve("lb.crt").toString(),
                "dsha.tls.key-file", dir.resolve("lb.key").toString()));
    }

    /**
     * On both engines: on BoringSSL the parsed key is cached per certificate generation, and the reloaded
     * certificate must never be answered from the previous generation's entry.
     */
    @ParameterizedTest(name = "dsha.tls.engine={0}")
    @ValueSource(strings = {"OPENSSL", "JDK"})
    void replacedPemFilesServeNewConnectionsWhileOpenConnectionsKeepWorking(String engine) throws Exception {
        TestCa.Issued s1 = ca.issue("localhost");
        s1.writePem(dir, "lb");
        startProxy(Map.of(
                "dsha.tls.cert-file", dir.resolve("lb.crt").toString(),
                "dsha.tls.key-file", dir.resolve("lb.key").toString(),
                "dsha.tls.engine", engine));
        assertTrue(proxy.process().output().contains(engine.equals("JDK") ? "JDK SSLEngine" : "(netty-tcnative)"),
                proxy.process().output());
        assertEquals(s1.serial(), handshake().serial());

        try (RawHttp1 before = new RawHttp1(port)) {
            assertEquals(s1.serial(), before.serial());
            assertEquals(new Reply(200, "alpha\n"), before.get("/"));

            TestCa.Issued s2 = ca.issue("localhost");
            assertNotEquals(s1.serial(), s2.serial());
            replacePem(s2);

            // No handshake may fail meanwhile: between the two renames the files do not make a pair, and must not be adopted.
            await("a new connection is served the new certificate").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> handshake().serial().equals(s2.serial()));
            // Every new connection from now on: S2, still with HTTP/2 offered by ALPN, and it serves.
            Handshake after = handshake();
            assertEquals(s2.serial(), after.serial());
            assertEquals("h2", after.alpn(), "ALPN after the reload");
            assertTrue(List.of("TLSv1.2", "TLSv1.3").contains(after.protocol()), after.protocol());
            HttpResponse<String> h2 = https("/", HttpClient.Version.HTTP_2);
            assertEquals(200, h2.statusCode());
            assertEquals("alpha\n", h2.body());
            assertEquals(HttpClient.Version.HTTP_2, h2.version());
            assertEquals(s2.serial(), ((X509Certificate) h2.sslSession().orElseThrow().getPeerCertificates()[0]).getSerialNumber());

            // The keep-alive connection opened before the swap is the same TCP/TLS connection, still served.
            for (int i = 0; i < 3; i++) {
                assertEquals(new Reply(200, "alpha\n"), before.get("/"));
            }
            assertEquals(s1.serial(), before.serial(), "the open connection keeps the session it was opened with");
            assertEquals(4, before.requests());
        }
        assertTrue(proxy.process().output().contains("Certificate reloaded"), proxy.process().output());
    }

    /**
     * A renewal must not cost a single client: new TLS connections made as fast as they go, across
     * several replacements, all complete their handshake (with the old certificate or the new one).
     */
    @Test
    void noNewConnectionIsRefusedWhileTheCertificateIsReplaced() throws Exception {
        TestCa.Issued first = ca.issue("localhost");
        first.writePem(dir, "lb");
        startPemProxy();
        int[] handshakes = {0};
        for (int swap = 0; swap < 3; swap++) {
            TestCa.Issued next = ca.issue("localhost");
            replacePem(next);
            // Any handshake that fails ends the test with its exception.
            await("swap " + swap + ": a new connection is served the new certificate").atMost(Duration.ofSeconds(20))
                    .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                    .until(() -> {
                        handshakes[0]++;
                        return handshake().serial().equals(next.serial());
                    });
            for (int i = 0; i < 10; i++) {
                assertEquals(next.serial(), handshake().serial(), "swap " + swap + ", after the new certificate was first seen");
                handshakes[0]++;
            }
        }
        assertTrue(handshakes[0] >= 33, "handshakes: " + handshakes[0]);
    }

    /**
     * Files that cannot make a working certificate (here: a new certificate with a key that is not
     * its own, e.g. a renewal that replaced only one file) are not adopted: the proxy keeps serving
     * the current certificate, as its log says, and picks up the pair once it matches.
     */
    @Test
    void aCertificateWhoseKeyDoesNotMatchIsNotAdopted() throws Exception {
        TestCa.Issued s1 = ca.issue("localhost");
        s1.writePem(dir, "lb");
        startPemProxy();
        assertEquals(s1.serial(), handshake().serial());

        TestCa.Issued s2 = ca.issue("localhost");
        Path staging = Files.createDirectories(dir.resolve("staging"));
        s2.writePem(staging, "lb");
        Files.move(staging.resolve("lb.crt"), dir.resolve("lb.crt"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        String output = proxy.process().output();
        await("the proxy notices the changed files").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> proxy.process().output().length() > output.length()
                        && proxy.process().output().substring(output.length()).contains("Certificate"));
        for (int i = 0; i < 5; i++) {
            assertEquals(s1.serial(), handshake().serial(), "new connections while only the certificate was replaced");
        }
        assertEquals(200, https("/", HttpClient.Version.HTTP_1_1).statusCode());

        Files.move(staging.resolve("lb.key"), dir.resolve("lb.key"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        await("the matching key completes the pair").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> handshake().serial().equals(s2.serial()));
        assertEquals(200, https("/", HttpClient.Version.HTTP_1_1).statusCode());
    }

    @Test
    void aPkcs12KeystoreServesEndToEndAndIsReloaded() throws Exception {
        char[] password = "keystore-secret-1".toCharArray();
        TestCa.Issued s1 = ca.issue("localhost");
        Path keystore = dir.resolve("lb.p12");
        writePkcs12(s1, keystore, password);
        startProxy(Map.of(
                "dsha.tls.keystore-file", keystore.toString(),
                "dsha.tls.keystore-password", new String(password)));

        HttpResponse<String> r = https("/", HttpClient.Version.HTTP_1_1);
        assertEquals(200, r.statusCode());
        assertEquals("alpha\n", r.body());
        Certificate[] chain = r.sslSession().orElseThrow().getPeerCertificates();
        assertEquals(s1.serial(), ((X509Certificate) chain[0]).getSerialNumber());
        assertEquals(s1.serial(), handshake().serial());

        TestCa.Issued s2 = ca.issue("localhost");
        Path temp = dir.resolve("lb.p12.new");
        writePkcs12(s2, temp, password);
        Files.move(temp, keystore, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        await("a new connection is served the new keystore's certificate").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> handshake().serial().equals(s2.serial()));
        assertEquals("alpha\n", https("/", HttpClient.Version.HTTP_2).body());
    }

    /**
     * TLS 1.1 (and older) is refused. The JDK's own client cannot be made to offer TLS 1.1: it is in
     * {@code jdk.tls.disabledAlgorithms}, which {@link SSLParameters} can only tighten, and changing the
     * security property affects the whole test JVM only if it happens before any TLS class loads. So the
     * test speaks the first TLS message itself: the same ClientHello, once as TLS 1.2 (answered with a
     * ServerHello, which shows the probe is sound) and once as TLS 1.1 (answered with a fatal alert).
     */
    @Test
    void tls11IsRefusedAndTls12IsAccepted() throws Exception {
        ca.issue("localhost").writePem(dir, "lb");
        startPemProxy();

        byte[] tls12 = answerTo(0x0303);
        assertEquals(0x16, tls12[0] & 0xff, "a TLS 1.2 ClientHello is answered with a handshake record");
        assertEquals(0x02, tls12[5] & 0xff, "... holding a ServerHello");

        for (int version : new int[] {0x0302, 0x0301}) {
            byte[] refused = answerTo(version);
            String what = String.format("a ClientHello for 0x%04x", version);
            assertTrue(refused.length >= 7, what + " got no complete TLS record back, only " + refused.length + " bytes");
            assertEquals(0x15, refused[0] & 0xff, what + " is answered with an alert, not a handshake");
            assertEquals(2, refused[5] & 0xff, what + ": the alert is fatal");
            assertEquals(70, refused[6] & 0xff, what + ": the alert is protocol_version (70)");
        }
        // After refusing, the listener still serves.
        assertEquals(200, https("/", HttpClient.Version.HTTP_1_1).statusCode());
    }

    // --- helpers ---

    /** Moves a new certificate and key into place the way a renewal should: written aside, then renamed over. */
    private void replacePem(TestCa.Issued next) throws IOException {
        Path staging = Files.createDirectories(dir.resolve("staging"));
        next.writePem(staging, "lb");
        Files.move(staging.resolve("lb.key"), dir.resolve("lb.key"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Files.move(staging.resolve("lb.crt"), dir.resolve("lb.crt"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void writePkcs12(TestCa.Issued issued, Path file, char[] password) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("lb", issued.key().getPrivate(), password, new Certificate[] {issued.cert(), ca.certificate()});
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, password);
        }
    }

    private HttpResponse<String> https(String path, HttpClient.Version version) throws Exception {
        // A new client each time: a fresh connection and TLS session.
        HttpClient client = HttpClient.newBuilder().sslContext(ca.clientContext()).connectTimeout(Duration.ofSeconds(5)).build();
        return client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + path)).version(version)
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    record Handshake(BigInteger serial, String protocol, String alpn) {
    }

    /** A brand-new TLS connection (new SSL context, so no session is resumed), trusting only the test CA. */
    private Handshake handshake() throws IOException {
        try (SSLSocket s = (SSLSocket) ca.clientContext().getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(15_000);
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName("localhost")));
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setApplicationProtocols(new String[] {"h2", "http/1.1"});
            s.setSSLParameters(p);
            s.startHandshake();
            X509Certificate served = (X509Certificate) s.getSession().getPeerCertificates()[0];
            return new Handshake(served.getSerialNumber(), s.getSession().getProtocol(), s.getApplicationProtocol());
        }
    }

    /** Sends one hand-made ClientHello offering exactly {@code version} and returns the first bytes of the answer. */
    private byte[] answerTo(int version) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(clientHello(version));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[512];
            while (got.size() < 7) {
                int n;
                try {
                    n = in.read(buf);
                } catch (IOException e) {
                    break; // reset by the server: whatever arrived before is the answer
                }
                if (n < 0) {
                    break;
                }
                got.write(buf, 0, n);
            }
            return got.toByteArray();
        }
    }

    /** A ClientHello (RFC 5246 §7.4.1.2) with ECDHE/RSA suites usable in TLS 1.0 to 1.2, SNI, groups and signature algorithms. */
    static byte[] clientHello(int version) {
        ByteBuffer ext = ByteBuffer.allocate(256);
        byte[] host = "localhost".getBytes(StandardCharsets.US_ASCII);
        ext.putShort((short) 0x0000).putShort((short) (host.length + 5)).putShort((short) (host.length + 3)).put((byte) 0)
                .putShort((short) host.length).put(host); // server_name
        ext.putShort((short) 0x000a).putShort((short) 6).putShort((short) 4).putShort((short) 0x0017).putShort((short) 0x001d); // groups
        ext.putShort((short) 0x000b).putShort((short) 2).put((byte) 1).put((byte) 0); // ec_point_formats: uncompressed
        short[] sigs = {0x0804, 0x0401, 0x0805, 0x0501, 0x0806, 0x0601, 0x0403, 0x0201};
        ext.putShort((short) 0x000d).putShort((short) (sigs.length * 2 + 2)).putShort((short) (sigs.length * 2));
        for (short sig : sigs) {
            ext.putShort(sig); // signature_algorithms
        }
        ext.flip();

        short[] suites = {(short) 0xc02f, (short) 0xc030, (short) 0xc013, (short) 0xc014, 0x009c, 0x009d, 0x002f, 0x0035, 0x00ff};
        ByteBuffer hello = ByteBuffer.allocate(512);
        hello.putShort((short) version);
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        hello.put(random);
        hello.put((byte) 0); // no session id
        hello.putShort((short) (suites.length * 2));
        for (short suite : suites) {
            hello.putShort(suite);
        }
        hello.put((byte) 1).put((byte) 0); // compression: null
        hello.putShort((short) ext.remaining()).put(ext);
        hello.flip();

        int len = hello.remaining();
        ByteBuffer record = ByteBuffer.allocate(len + 9);
        record.put((byte) 0x16).putShort((short) 0x0301).putShort((short) (len + 4)); // handshake record, TLS 1.0 record version
        record.put((byte) 1).put((byte) (len >>> 16)).putShort((short) len); // ClientHello
        record.put(hello);
        return record.array();
    }

    record Reply(int status, String body) {
    }

    /** One HTTP/1.1 keep-alive connection over TLS, written and read by hand so it is certainly the same connection. */
    final class RawHttp1 implements AutoCloseable {
        private final SSLSocket socket;
        private final DataInputStream in;
        private final OutputStream out;
        private int requests;

        RawHttp1(int port) throws IOException {
            socket = (SSLSocket) ca.clientContext().getSocketFactory().createSocket();
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(15_000);
            SSLParameters p = socket.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName("localhost")));
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setApplicationProtocols(new String[] {"http/1.1"});
            socket.setSSLParameters(p);
            socket.startHandshake();
            assertEquals("http/1.1", socket.getApplicationProtocol());
            in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            out = socket.getOutputStream();
        }

        BigInteger serial() throws IOException {
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
        }

        int requests() {
            return requests;
        }

        Reply get(String path) throws IOException {
            out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            requests++;
            String status = line();
            String[] parts = status.split(" ", 3);
            assertEquals("HTTP/1.1", parts[0], status);
            Map<String, String> headers = new HashMap<>();
            for (String h = line(); !h.isEmpty(); h = line()) {
                int colon = h.indexOf(':');
                headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
            }
            assertFalse("close".equalsIgnoreCase(headers.get("connection")), "the proxy must keep the connection open: " + headers);
            byte[] body;
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                for (int size = Integer.parseInt(line().split(";")[0].trim(), 16); size > 0; size = Integer.parseInt(line().split(";")[0].trim(), 16)) {
                    byte[] chunk = new byte[size];
                    in.readFully(chunk);
                    all.write(chunk);
                    line();
                }
                for (String t = line(); !t.isEmpty(); t = line()) {
                    // trailers
                }
                body = all.toByteArray();
            } else {
                body = new byte[Integer.parseInt(headers.getOrDefault("content-length", "0"))];
                in.readFully(body);
            }
            return new Reply(Integer.parseInt(parts[1]), new String(body, StandardCharsets.UTF_8));
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("the connection was closed (after " + sb + ")");
                }
                if (c != '\r') {
                    sb.append((char) c);
                }
            }
            return sb.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
