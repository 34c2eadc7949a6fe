package io.dsha.proxy.balance;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backend names are looked up off the request path and off the event loops. The name service here is a hosts file
 * the test rewrites (read at each lookup, as the system's resolver reads {@code /etc/hosts}); a name missing from it
 * fails, as an unknown one does.
 */
class BackendAddressesTest {

    @TempDir
    Path dir;

    private Path hosts;
    private Vertx vertx;
    private BackendAddresses addresses;
    private final AtomicBoolean onEventLoop = new AtomicBoolean();
    private final AtomicInteger lookups = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        hosts = dir.resolve("hosts");
        Files.writeString(hosts, "127.0.0.2 backend-a.test\n");
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() {
        if (addresses != null) {
            addresses.stop();
        }
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    /** The hosts file's address for {@code host}, or UnknownHostException; notes whether it ran on an event loop. */
    private InetAddress fromHostsFile(String host) throws IOException {
        lookups.incrementAndGet();
        if (Context.isOnEventLoopThread()) {
            onEventLoop.set(true);
        }
        for (String line : Files.readAllLines(hosts)) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2 && !f[0].startsWith("#") && f[1].equals(host)) {
                return InetAddress.getByName(f[0]);
            }
        }
        throw new UnknownHostException(host + ": not in " + hosts);
    }

    @Test
    void aNamedBackendIsConnectedToByTheAddressFoundInTheBackground() {
        Target t = new Target("a", "backend-a.test", 8080, 1);
        assertTrue(t.address().isUnresolved());

        addresses = new BackendAddresses(vertx, () -> List.of(t), Duration.ofMillis(100), this::fromHostsFile);
        addresses.start();

        await().atMost(Duration.ofSeconds(10)).until(() -> !t.address().isUnresolved());
        assertEquals("127.0.0.2", t.address().getAddress().getHostAddress());
        assertEquals(8080, t.address().getPort());
        assertFalse(onEventLoop.get(), "no lookup ran on an event loop");
    }

    @Test
    void aLookupThatFailsKeepsTheLastAddressAndAChangedOneIsFollowed() throws IOException {
        Target t = new Target("a", "backend-a.test", 8080, 1);
        addresses = new BackendAddresses(vertx, () -> List.of(t), Duration.ofMillis(100), this::fromHostsFile);
        addresses.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> !t.address().isUnresolved());

        Files.writeString(hosts, "# backend-a.test is gone\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> addresses.failing("backend-a.test"));
        assertEquals("127.0.0.2", t.address().getAddress().getHostAddress(), "the last address stays in use");

        Files.writeString(hosts, "127.0.0.3 backend-a.test\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> t.address().getAddress().getHostAddress().equals("127.0.0.3"));
        assertFalse(addresses.failing("backend-a.test"));
    }

    @Test
    void aStalledLookupHoldsNothingAndIsNotRepeatedMeanwhile() throws Exception {
        Target t = new Target("a", "backend-a.test", 8080, 1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean stall = new AtomicBoolean();
        addresses = new BackendAddresses(vertx, () -> List.of(t), Duration.ofMillis(100), host -> {
            if (stall.get()) {
                lookups.incrementAndGet();
                try {
                    release.await(30, TimeUnit.SECONDS); // a DNS server that does not answer
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return fromHostsFile(host);
        });
        addresses.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> !t.address().isUnresolved());

        stall.set(true);
        Files.writeString(hosts, "127.0.0.3 backend-a.test\n");
        lookups.set(0);
        await().atMost(Duration.ofSeconds(10)).until(() -> lookups.get() >= 1);
        // Five refreshes later the one stalled lookup is still the only one; the address in use is the last found.
        long refreshes = addresses.refreshes();
        await().atMost(Duration.ofSeconds(10)).until(() -> addresses.refreshes() >= refreshes + 5);
        assertEquals(1, lookups.get(), "one lookup per name at a time");
        assertEquals("127.0.0.2", t.address().getAddress().getHostAddress());

        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> t.address().getAddress().getHostAddress().equals("127.0.0.3"));
    }

    @Test
    void anIpLiteralNeedsNoLookup() {
        Target t = new Target("a", "127.0.0.1", 8080, 1);
        assertFalse(t.address().isUnresolved());
        assertEquals("127.0.0.1", t.address().getAddress().getHostAddress());
        Target v6 = new Target("b", "::1", 8080, 1);
        assertTrue(v6.address().getAddress().isLoopbackAddress());
        assertFalse(t.named());
    }
}
