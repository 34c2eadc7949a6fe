package io.dsha.proxy.ingest;

import io.dsha.proxy.balance.Target;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The records on their way to one instance, in the order they were accepted: a queue, sent with a few in flight
 * at once but never two of one source (so each source's records arrive in its order, replayed ones too). While the
 * instance takes them the queue is only what is in transit; once it fails one (no connection, 5xx, 408/429, no answer
 * in time) it has a <em>backlog</em>: everything for it waits here, it is tried again after a back-off (100 ms
 * doubling to 5 s; at once when the control plane says it is UP again) with one record, and once that is taken the
 * backlog is replayed. The backlog ends when the queue is empty. Runs on the ingest loop; the figures are read by
 * metrics and reports from other threads.
 */
final class Delivery {

    private static final Logger LOG = Logger.getLogger(Delivery.class);
    static final long BACKOFF_FIRST_MS = 100;
    static final long BACKOFF_MAX_MS = 5_000;
    /** Records looked at past the queue's head for one whose source is not busy. */
    private static final int SCAN = 256;

    private final Ingest ingest;
    final String backend;
    private volatile Target target;
    /** Whether new records are for it and it is sent to (ENABLED, in the topology). */
    boolean enabled = true;
    private final ArrayDeque<IngestRecord> queue = new ArrayDeque<>();
    private final Set<IngestRecord> inFlight = new LinkedHashSet<>();
    private final Set<Object> busySources = new HashSet<>();
    private volatile boolean backlog;
    private long backlogSince;
    private long replayed;
    private boolean backingOff;
    /** After a back-off: one record goes, the rest when it is taken. */
    private boolean probing;
    private long backoffMs;
    private long timer = -1;
    private volatile long records;
    private volatile long bytes;
    private volatile long diverged;
    private volatile long delivered;

    Delivery(Ingest ingest, String backend, Target target) {
        this.ingest = ingest;
        this.backend = backend;
        this.target = target;
    }

    void target(Target t) {
        this.target = t;
    }

    // ---- figures (any thread)

    boolean hasBacklog() {
        return backlog;
    }

    /** Records waiting for this instance because it did not take them (0 while it keeps up). */
    long backlogRecords() {
        return backlog ? records : 0;
    }

    long backlogBytes() {
        return backlog ? bytes : 0;
    }

    /** Age of the oldest record in the backlog, in ms (0 without one). */
    long oldestAgeMs(long nowMillis) {
        if (!backlog) {
            return 0;
        }
        IngestRecord head = oldest;
        return head == null ? 0 : Math.max(0, nowMillis - head.acceptedAtMillis);
    }

    private volatile IngestRecord oldest;

    long diverged() {
        return diverged;
    }

    long delivered() {
        return delivered;
    }

    void diverge() {
        diverged++;
    }

    // ---- the queue (ingest loop)

    /** A record for this instance. When it has a backlog, the record joins it (and its source is told at once). */
    void enqueue(IngestRecord r, boolean fromJournal) {
        queue.add(r);
        records++;
        bytes += r.size;
        updateOldest();
        if (fromJournal && !backlog) {
            startBacklog("records left in the proxy's journal from before it restarted");
        }
        if (backlog) {
            ingest.couldNotTake(r, this, "it has a backlog of " + records + " records", false);
        }
        pump();
    }

    /** Sends what may go now. */
    void pump() {
        if (!enabled || backingOff || ingest.closed()) {
            return;
        }
        int window = probing ? 1 : ingest.window();
        int scanned = 0;
        for (Iterator<IngestRecord> it = queue.iterator(); it.hasNext() && !backingOff && inFlight.size() < window && scanned < SCAN;
                scanned++) {
            IngestRecord r = it.next();
            if (r.aborted) {
                it.remove();
                forget(r);
                scanned--;
                continue;
            }
            if (busySources.contains(r.source)) {
                continue;
            }
            it.remove();
            send(r);
        }
        if (backlog && records == 0) {
            endBacklog(); // the last of it was given up (aborted) rather than delivered
        } else if (!backlog && !queue.isEmpty() && System.currentTimeMillis() - queue.peekFirst().acceptedAtMillis > ingest.timeoutMs()) {
            startBacklog("it has not taken records for " + ingest.timeoutMs() + " ms");
        }
    }

    private void send(IngestRecord r) {
        inFlight.add(r);
        if (r.source != null) {
            busySources.add(r.source);
        }
        r.sending++;
        Target t = target;
        InetSocketAddress addr = t.address();
        if (addr.isUnresolved()) {
            failed(r, "its address " + t.host() + " is not resolved yet", false);
            return;
        }
        int timeout = ingest.timeoutMs();
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.valueOf(r.method)).setServer(SocketAddress.inetSocketAddress(addr))
                .setHost(t.host()).setPort(t.port()).setURI(r.uri).setConnectTimeout(Math.min(timeout, 2_000)).setIdleTimeout(timeout);
        for (Map.Entry<String, String> h : r.headers) {
            o.addHeader(h.getKey(), h.getValue());
        }
        Future<io.vertx.core.http.HttpClientRequest> request;
        try {
            request = ingest.http().request(o);
        } catch (RuntimeException e) {
            // The client was closed: the proxy is shutting down, and the record stays in the journal.
            failed(r, describe(e), false);
            return;
        }
        request.onComplete(connected -> {
            if (connected.failed()) {
                failed(r, describe(connected.cause()), false);
                return;
            }
            connected.result().send(Buffer.buffer(r.body)).compose(resp -> resp.body().map(b -> answer(resp, b, r.key)))
                    .onComplete(answered -> {
                        if (answered.failed()) {
                            failed(r, describe(answered.cause()), true);
                        } else {
                            answered(r, answered.result());
                        }
                    });
        });
    }

    private IngestAnswer answer(HttpClientResponse resp, Buffer body, String key) {
        return new IngestAnswer(resp.statusCode(), resp.getHeader("Content-Type"), body.getBytes(), key, backend);
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    private void sent(IngestRecord r) {
        inFlight.remove(r);
        if (r.source != null) {
            busySources.remove(r.source);
        }
        r.sending--;
    }

    private void answered(IngestRecord r, IngestAnswer a) {
        sent(r);
        int s = a.status();
        if (s >= 200 && s < 300) {
            delivered++;
            if (backlog) {
                replayed++;
            }
            forget(r);
            backoffMs = 0;
            probing = false;
            ingest.accepted(r, this, a);
        } else if (s >= 300 && s < 500 && s != 408 && s != 429) {
            forget(r);
            ingest.refused(r, this, a);
        } else {
            // A 5xx other than 503 may come after the record was stored (a failure in answering): in doubt.
            failed(r, "answered " + s, s >= 500 && s != 503);
            return;
        }
        if (backlog && records == 0) {
            endBacklog();
        }
        pump();
    }

    /** It did not take {@code r}: back to the head of the queue, and a back-off before anything more goes. */
    private void failed(IngestRecord r, String reason, boolean inDoubt) {
        sent(r);
        if (!r.aborted) {
            queue.addFirst(r);
        } else {
            forget(r);
        }
        if (!backlog) {
            startBacklog(reason);
        }
        ingest.couldNotTake(r, this, reason, inDoubt);
        if (!backingOff) {
            backingOff = true;
            backoffMs = backoffMs == 0 ? BACKOFF_FIRST_MS : Math.min(BACKOFF_MAX_MS, backoffMs * 2);
            timer = ingest.vertx().setTimer(backoffMs, id -> retry());
        }
    }

    private void retry() {
        timer = -1;
        backingOff = false;
        probing = true;
        pump();
    }

    private boolean verdictUp;

    /** The control plane's verdict: when it turns UP, a back-off under way ends now. */
    void verdict(boolean up) {
        boolean was = verdictUp;
        verdictUp = up;
        if (up && !was) {
            upAgain();
        }
    }

    private void upAgain() {
        if (backingOff && timer >= 0 && ingest.vertx().cancelTimer(timer)) {
            backoffMs = 0;
            retry();
        }
    }

    private void startBacklog(String reason) {
        backlog = true;
        backlogSince = System.nanoTime();
        replayed = 0;
        LOG.warnf("Ingest: %s did not take a record (%s). Records for it are kept in the journal and replayed in order when it answers",
                backend, reason);
    }

    private void endBacklog() {
        backlog = false;
        LOG.infof("Ingest: %s has taken its whole backlog (%d records replayed; %d ms with a backlog)", backend, replayed,
                (System.nanoTime() - backlogSince) / 1_000_000);
    }

    /** The record no longer waits here. */
    private void forget(IngestRecord r) {
        records--;
        bytes -= r.size;
        if (r == oldest) {
            updateOldest();
        }
    }

    private void updateOldest() {
        IngestRecord o = queue.peekFirst();
        for (IngestRecord f : inFlight) {
            if (o == null || f.seq < o.seq) {
                o = f;
            }
            break;
        }
        oldest = o;
    }

    /** The instance left the topology: what waits for it is never delivered; returns those records. */
    java.util.List<IngestRecord> drop() {
        enabled = false;
        if (timer >= 0) {
            ingest.vertx().cancelTimer(timer);
        }
        java.util.List<IngestRecord> all = new java.util.ArrayList<>(queue);
        all.addAll(inFlight);
        queue.clear();
        records = 0;
        bytes = 0;
        backlog = false;
        oldest = null;
        return all;
    }
}
