package io.dsha.proxy;

import static io.dsha.proxy.support.ProxyTestKit.awaitFollowing;
import static io.dsha.proxy.support.ProxyTestKit.metric;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dsha.proxy.support.ClientHellos;
import io.dsha.proxy.support.ProxyProcess;
import io.dsha.proxy.support.Teardown;
import io.dsha.testkit.ControlPlaneProcess;
import io.dsha.testkit.ProcessOutputOnFailure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * How a passthrough session ends: whatever the order and timing of FINs and resets from the client and the
 * backend, once both sockets are gone the proxy has closed both channels, and the open client connections
 * ({@code dsha_proxy_connections}, the same count graceful shutdown waits for) and the open sessions
 * ({@code dsha_proxy_tcp_connections_open}) are back to 0. The backend is a plain socket server, so that the
 * test decides when and how each of its connections ends.
 *
 * <p>To make the two ends of a session arrive at the same moment, the proxy is frozen (SIGSTOP) while both
 * sides close, and let go again (SIGCONT): its event loop then finds both ends in one batch, before any write
 * it makes in reaction has completed. On io_uring, where a write completes only on a later turn of the loop,
 * two crossing FINs used to leave both channels of the session half-closed both ways and open for good.
 */
@ExtendWith(ProcessOutputOnFailure.class)
class PassthroughTeardownIT {

    private static final String FQDN = PassthroughIT.FQDN;
    private static final int SESSIONS = 24;
    private static final byte[] HELLO = ClientHellos.clientHello(FQDN);

    @TempDir
    static Path dir;

    private static ControlPlaneProcess cp;
    private static ProxyProcess proxy;
    private static int port;

    private ServerSocket backend;
    private final BlockingQueue<Socket> accepted = new LinkedBlockingQueue<>();
    private final List<Socket> clients = new ArrayList<>();
    private Thread acceptor;
    /** Whether the backend resets each connection as soon as it has accepted it. */
    private volatile boolean resetOnAccept;

    @BeforeAll
    static void startStack() throws IOException {
        cp = new ControlPlaneProcess(dir.resolve("cp"));
        try (ServerSocket seed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            cp.putTopology(topology(seed.getLocalPort()));
        }
        cp.settle("raw", "UP");
        // One event loop: both channels of every session, and every session, on one thread.
        proxy = new ProxyProcess(cp, Map.of(
                "dsha.state-dir", dir.resolve("proxy").toString(),
                "dsha.event-loops", "1"));
        port = proxy.awaitReady();
    }

    @AfterAll
    static void stopStack() {
        Teardown.close(proxy, cp);
    }

    private static String topology(int backendPort) {
        return """
                {"listener": {"host": "127.0.0.1", "port": 9}, "fqdn": "%s", "tlsMode": "PASSTHROUGH",
                 "backends": [{"id": "raw", "host": "127.0.0.1", "port": %d}]}
                """.formatted(FQDN, backendPort);
    }

    @BeforeEach
    void rawBackend() throws IOException {
        backend = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            while (!backend.isClosed()) {
                try {
                    Socket s = backend.accept();
                    if (resetOnAccept) {
                        s.setSoLinger(true, 0);
                        s.close();
                    } else {
                        accepted.add(s);
                    }
                } catch (IOException e) {
                    return; // closed
                }
            }
        }, "raw-backend");
        acceptor.setDaemon(true);
        acceptor.start();
        cp.putTopology(topology(backend.getLocalPort()));
        cp.settle("raw", "UP");
        awaitFollowing(cp, proxy);
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (Socket s : clients) {
            s.close();
        }
        backend.close();
        acceptor.join(5000);
        for (Socket s; (s = accepted.poll()) != null; ) {
            s.close();
        }
    }

    /**
     * Both sides of every session end at once, each with a FIN or a reset, and the proxy sees both ends in one
     * batch. The crossing FINs are the case that used to leak.
     */
    @ParameterizedTest(name = "client {0}, backend {1}")
    @CsvSource({"FIN, FIN", "FIN, RST", "RST, FIN", "RST, RST"})
    void endsThatArriveTogetherEndTheSession(End client, End server) throws Exception {
        List<Socket[]> sessions = openSessions();
        freeze();
        try {
            for (Socket[] s : sessions) {
                client.apply(s[0]);
                server.apply(s[1]);
            }
        } finally {
            thaw();
        }
        awaitNothingOpen();
    }

    /** One side half-closes, and the other side then ends too (a FIN or a reset) once that FIN has been passed on. */
    @ParameterizedTest(name = "{0} FIN first, then the other {1}")
    @CsvSource({"client, FIN", "client, RST", "backend, FIN", "backend, RST"})
    void aHalfCloseFollowedByTheOtherEndEndsTheSession(String first, End then) throws Exception {
        List<Socket[]> sessions = openSessions();
        boolean clientFirst = first.equals("client");
        for (Socket[] s : sessions) {
            End.FIN.apply(clientFirst ? s[0] : s[1]);
        }
        for (Socket[] s : sessions) {
            Socket other = clientFirst ? s[1] : s[0];
            other.setSoTimeout(10_000);
            assertEquals(-1, other.getInputStream().read(), "the FIN was passed on");
            then.apply(other);
        }
        awaitNothingOpen();
    }

    /**
     * One side half-closes and then resets, which the proxy cannot see (it reads no more from that socket); the
     * other side's FIN, passed on to a socket that is gone, ends the session.
     */
    @ParameterizedTest(name = "{0} FIN then RST, then the other FIN")
    @CsvSource({"client", "backend"})
    void aResetAfterAHalfCloseEndsTheSessionWhenTheOtherSideEnds(String first) throws Exception {
        List<Socket[]> sessions = openSessions();
        boolean clientFirst = first.equals("client");
        for (Socket[] s : sessions) {
            Socket gone = clientFirst ? s[0] : s[1];
            Socket other = clientFirst ? s[1] : s[0];
            End.FIN.apply(gone);
            assertEquals(-1, other.getInputStream().read(), "the FIN was passed on");
            End.RST.apply(gone);
        }
        for (Socket[] s : sessions) {
            End.FIN.apply(clientFirst ? s[1] : s[0]);
        }
        awaitNothingOpen();
    }

    /** Clients that reset right after their ClientHello, while the proxy connects to the backend. */
    @Test
    void clientsThatResetWhileTheBackendIsConnectedLeaveNothingOpen() throws Exception {
        for (int i = 0; i < SESSIONS; i++) {
            Socket c = client();
            c.getOutputStream().write(HELLO);
            End.RST.apply(c);
        }
        awaitNothingOpen();
    }

    /** Clients that send their ClientHello and a FIN in one go, to a backend that resets each connection it accepts. */
    @Test
    void aBackendThatResetsAtOnceLeavesNothingOpen() throws Exception {
        resetOnAccept = true;
        for (int i = 0; i < SESSIONS; i++) {
            Socket c = client();
            c.getOutputStream().write(HELLO);
            c.shutdownOutput();
        }
        awaitNothingOpen();
    }

    enum End {
        FIN, RST;

        void apply(Socket s) throws IOException {
            if (this == FIN) {
                s.shutdownOutput();
            } else {
                s.setSoLinger(true, 0);
                s.close();
            }
        }
    }

    private Socket client() throws IOException {
        Socket c = new Socket();
        clients.add(c);
        c.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        c.setSoTimeout(10_000);
        return c;
    }

    /** {@link #SESSIONS} relayed sessions, each as {client, backend}: the backend has received the client's hello. */
    private List<Socket[]> openSessions() throws Exception {
        List<Socket> opened = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
            Socket c = client();
            c.getOutputStream().write(HELLO);
            opened.add(c);
        }
        List<Socket[]> sessions = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
            Socket b = accepted.poll(10, TimeUnit.SECONDS);
            if (b == null) {
                throw new AssertionError("the backend got " + i + " of " + SESSIONS + " connections");
            }
            b.setSoTimeout(10_000);
            assertArrayEquals(HELLO, b.getInputStream().readNBytes(HELLO.length), "the hello was relayed");
            // Which client's session this is: the proxy need not connect in the order the hellos came, so tell the client.
            b.getOutputStream().write(new byte[] {(byte) i});
            sessions.add(new Socket[] {null, b});
        }
        for (Socket c : opened) {
            int i = c.getInputStream().read();
            sessions.get(i)[0] = c;
        }
        await("sessions counted").atMost(Duration.ofSeconds(10))
                .until(() -> metric(proxy, "dsha_proxy_tcp_connections_open", "backend=\"raw\"") == SESSIONS);
        return sessions;
    }

    private static void awaitNothingOpen() {
        await("every session ended").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> metric(proxy, "dsha_proxy_tcp_connections_open", "backend=\"raw\"") == 0
                        && metric(proxy, "dsha_proxy_connections") == 0);
    }

    private static void freeze() throws Exception {
        signal("STOP");
    }

    private static void thaw() throws Exception {
        signal("CONT");
    }

    private static void signal(String name) throws Exception {
        long pid = proxy.process().process().pid();
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new UncheckedIOException(new IOException("kill -" + name + " " + pid + " failed"));
        }
    }
}
