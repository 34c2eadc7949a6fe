package io.dsha.proxy.http;

import io.dsha.proxy.balance.RoutingTable;
import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the exchanges of one event loop of the Netty data path share: the settings, the backend
 * connections, the deadlines. Not thread-safe: used from its event loop only.
 */
final class NettyLoop {

    final DataPath path;
    final BackendPool pool;
    /** Whether clients reach this listener over TLS (for X-Forwarded-Proto). */
    final boolean tls;
    final Deadlines requestDeadlines;
    final Deadlines firstByteDeadlines;
    final Deadlines bodyDeadlines;
    final Deadlines headerDeadlines;
    final Deadlines idleDeadlines;
    /** The client connections of this loop (graceful shutdown drains them). */
    final Set<ClientClock> clocks = new HashSet<>();
    /** Connections written to during this run of the event loop, flushed together once its I/O is handled. */
    private final ArrayList<Channel> toFlush = new ArrayList<>();
    private final Runnable flushAll = this::flushAll;
    /** The routing decision whose DOWN backends were last looked for among the requests awaiting an answer. */
    private RoutingTable lookedAt;

    NettyLoop(DataPath path, BackendPool pool, boolean tls) {
        this.path = path;
        this.pool = pool;
        this.tls = tls;
        this.requestDeadlines = new Deadlines(path.requestTimeoutMs);
        this.firstByteDeadlines = new Deadlines(path.firstByteTimeoutMs);
        this.bodyDeadlines = new Deadlines(path.requestBodyTimeoutMs);
        this.headerDeadlines = new Deadlines(path.requestHeaderTimeoutMs);
        this.idleDeadlines = new Deadlines(path.clientIdleTimeoutMs);
    }

    /**
     * Flushes {@code ch} once the event loop has handled every connection ready in this round: the
     * writes of a round leave in one burst (BENCHMARKS.md, "Batched flushes and lighter bookkeeping").
     */
    void flushSoon(Channel ch) {
        int n = toFlush.size();
        if (n == 0) {
            ch.eventLoop().execute(flushAll);
        } else if (toFlush.get(n - 1) == ch) {
            return;
        }
        toFlush.add(ch);
    }

    private void flushAll() {
        // A flush may complete a write whose listener writes again: what is added meanwhile is flushed in this pass.
        try {
            for (int i = 0; i < toFlush.size(); i++) {
                toFlush.get(i).flush();
            }
        } finally {
            // Never left non-empty: flushSoon schedules this task only when the list is empty.
            toFlush.clear();
        }
    }

    /** Expires timeouts, and hands on requests stuck at a backend declared DOWN; called by the event loop's periodic tick. */
    void tick() {
        long now = System.nanoTime();
        if (path.shuttingDown) {
            for (ClientClock c : List.copyOf(clocks)) {
                c.drain(now);
            }
        }
        RoutingTable table = path.routing.table();
        if (table != lookedAt) {
            lookedAt = table;
            if (table != null && table.anyDown()) {
                for (Object waiting : firstByteDeadlines.subjects()) {
                    ((Exchange) waiting).rescueIfStuck(table, now);
                }
            }
        }
        firstByteDeadlines.expire(now);
        requestDeadlines.expire(now);
        bodyDeadlines.expire(now);
        headerDeadlines.expire(now);
        idleDeadlines.expire(now);
    }
}
