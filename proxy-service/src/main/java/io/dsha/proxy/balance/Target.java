package io.dsha.proxy.balance;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One backend as the data path sees it: its address, weight, requests in flight and local
 * ejection. The same object lives across routing swaps (as long as the backend keeps its id and
 * address), so counters and ejections survive a new routing decision.
 */
public final class Target {

    private final String id;
    private final String host;
    private final int port;
    /** Whether the host is a name (not an IP literal): looked up by {@link BackendAddresses}. */
    private final boolean named;
    private final AtomicInteger outstanding = new AtomicInteger();
    private volatile int weight;
    /** Where connections go: set at once for an IP literal, by {@link BackendAddresses} for a name; null until then. */
    private volatile InetSocketAddress resolved;
    private volatile long ejectedUntilNanos;
    private int consecutiveEjections;

    Target(String id, String host, int port, int weight) {
        this.id = id;
        this.host = host;
        this.port = port;
        this.weight = weight;
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(host);
        this.named = literal == null;
        if (literal != null) {
            try {
                this.resolved = new InetSocketAddress(InetAddress.getByAddress(host, literal), port);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(host, e);
            }
        }
    }

    public String id() {
        return id;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /**
     * The address to connect to: the last one found for the host name, or (before any lookup succeeded) an
     * unresolved one, which the connection's own resolver looks up.
     */
    public InetSocketAddress address() {
        InetSocketAddress a = resolved;
        return a != null ? a : InetSocketAddress.createUnresolved(host, port);
    }

    /** Whether the host is a name (not an IP literal), which needs looking up. */
    boolean named() {
        return named;
    }

    InetSocketAddress resolved() {
        return resolved;
    }

    void resolved(InetAddress address) {
        resolved = new InetSocketAddress(address, port);
    }

    public int weight() {
        return weight;
    }

    void weight(int w) {
        weight = w;
    }

    public int outstanding() {
        return outstanding.get();
    }

    public void begin() {
        outstanding.incrementAndGet();
    }

    public void end() {
        outstanding.decrementAndGet();
    }

    public boolean ejected(long nowNanos) {
        return nowNanos < ejectedUntilNanos;
    }

    /**
     * Sets the backend aside after a failure on real traffic, for a back-off that doubles with each
     * consecutive ejection ({@code base}, 2×, 4× … up to {@code max}). Returns the back-off applied, or
     * zero when the backend is already set aside: the other requests that were in flight when it
     * failed (16 of them, when it dies under load) fail with it, and they are one ejection, not 16
     * steps of escalation straight to {@code max}.
     */
    public synchronized Duration eject(long nowNanos, Duration base, Duration max) {
        if (ejected(nowNanos)) {
            return Duration.ZERO;
        }
        long backoff = Math.min(max.toNanos(), base.toNanos() << Math.min(consecutiveEjections, 20));
        consecutiveEjections++;
        ejectedUntilNanos = nowNanos + backoff;
        return Duration.ofNanos(backoff);
    }

    /** A success ends the escalation of back-offs. */
    public void succeeded() {
        if (consecutiveEjections != 0) {
            synchronized (this) {
                consecutiveEjections = 0;
            }
        }
    }

    /** Forgets any ejection: the control plane has a fresh verdict on this backend. */
    public synchronized void clearEjection() {
        consecutiveEjections = 0;
        ejectedUntilNanos = 0;
    }

    @Override
    public String toString() {
        return id + "@" + host + ":" + port;
    }
}
