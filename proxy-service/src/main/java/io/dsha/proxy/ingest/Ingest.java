package io.dsha.proxy.ingest;

import io.dsha.api.state.HealthStatus;
import io.dsha.api.state.Verdict;
import io.dsha.api.topology.AdminState;
import io.dsha.api.topology.Backend;
import io.dsha.api.topology.IngestAck;
import io.dsha.api.traffic.IngestBacklog;
import io.dsha.proxy.balance.RoutingTable;
import io.dsha.proxy.balance.Target;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * KB376 step 4 in the proxy: a record a data source sends on an ingest route is accepted once and delivered to every
 * ENABLED instance. It is written to the {@link IngestJournal} (forced to disk) before any instance sees it, then
 * queued for each instance ({@link Delivery}); the source is answered per the topology's {@code ingest.ack}: with
 * {@code ONE} by the first instance that accepts it (2xx), with {@code ALL} once every instance has. When that cannot
 * be, the source gets a problem, and the record is either given up everywhere (no instance has it, none may have it)
 * or kept and delivered everywhere (one has it, or may have): never left on one instance alone. Copies an instance
 * did not take stay queued for it, in order, and are replayed when it answers; the idempotency key every copy carries
 * lets the instance store each record once. All state lives on one Vert.x event loop of its own.
 */
public final class Ingest implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Ingest.class);
    private static final Set<String> NOT_JOURNALED = Set.of("content-length", "transfer-encoding", "expect", "connection",
            "keep-alive", "te", "trailer", "upgrade", "proxy-connection");

    /** A request on an ingest route, read in full; {@code source} identifies who sent it (its connection). */
    public record Request(String method, String uri, List<Map.Entry<String, String>> headers, byte[] body, Object source) {
    }

    private final Vertx vertx;
    private final Context loop;
    private final HttpClient http;
    private final IngestJournal journal;
    private final int window;
    private final Supplier<Collection<Target>> targets;
    private final MeterRegistry meters;
    private volatile io.dsha.api.topology.Ingest settings;
    private final Map<String, Delivery> deliveries = new ConcurrentHashMap<>();
    private final LinkedHashMap<Long, IngestRecord> live = new LinkedHashMap<>();
    /** Records read back from the journal at start, delivered once the first topology names their instances. */
    private List<IngestJournal.Recovered> recovered;
    private long nextSeq;
    private volatile long liveBytes;
    private volatile long liveRecords;
    private long journalEstimate;
    /** While the journal's records are being taken back at start: no compaction until all are. */
    private boolean recovering;
    private final Map<String, Counter> results = new ConcurrentHashMap<>();

    private Ingest(Vertx vertx, IngestJournal journal, List<IngestJournal.Recovered> recovered, int window,
            Supplier<Collection<Target>> targets, MeterRegistry meters) {
        this.vertx = vertx;
        this.loop = vertx.getOrCreateContext();
        this.journal = journal;
        this.recovered = recovered;
        this.window = window;
        this.targets = targets;
        this.meters = meters;
        this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setMaxPoolSize(Math.max(1, window))
                .setName("dsha-ingest"));
        nextSeq = journal.maxSeq();
        for (IngestJournal.Recovered r : recovered) {
            liveBytes += r.record().size;
            liveRecords++;
        }
        journalEstimate = journal.fileBytes();
        Gauge.builder("dsha_ingest_journal_bytes", journal, IngestJournal::fileBytes)
                .description("Size of the proxy's ingest journal file").register(meters);
        Gauge.builder("dsha_ingest_held_bytes", this, i -> i.liveBytes)
                .description("Bytes of records not yet delivered to every instance (bounded by ingest.journal.maxBytes)").register(meters);
        Gauge.builder("dsha_ingest_held_records", this, i -> i.liveRecords)
                .description("Records not yet delivered to every instance").register(meters);
    }

    /**
     * Opens (or creates) the journal in {@code dir} and reads back what it holds: a proxy restarted on the same
     * state directory replays it.
     *
     * @param window the most records on their way to one instance at once
     * @param targets the data path's backends (their addresses)
     */
    public static Ingest open(Vertx vertx, Path dir, int window, Supplier<Collection<Target>> targets, MeterRegistry meters)
            throws IOException {
        IngestJournal journal = new IngestJournal(dir);
        List<IngestJournal.Recovered> recovered = journal.recover();
        journal.start();
        if (!recovered.isEmpty()) {
            LOG.infof("Ingest journal %s: %d records from before the restart still to deliver; replayed once the topology is known",
                    journal.file(), recovered.size());
        }
        return new Ingest(vertx, journal, recovered, window, targets, meters);
    }

    /** The topology's ingest section now in force, or null (no ingest routes). Any thread. */
    public io.dsha.api.topology.Ingest settings() {
        return settings;
    }

    HttpClient http() {
        return http;
    }

    Vertx vertx() {
        return vertx;
    }

    int window() {
        return window;
    }

    int timeoutMs() {
        io.dsha.api.topology.Ingest s = settings;
        return s == null ? 5_000 : s.timeoutMs();
    }

    /** Each instance's backlog as this proxy sees it, for the control plane's report. Any thread. */
    public Map<String, IngestBacklog> backlogs() {
        long now = System.currentTimeMillis();
        Map<String, IngestBacklog> out = new java.util.TreeMap<>();
        deliveries.forEach((id, d) -> out.put(id, new IngestBacklog(d.backlogRecords(), d.backlogBytes(), d.oldestAgeMs(now), d.diverged())));
        return out;
    }

    /** A new routing decision: the ingest settings, and the instances records go to. Any thread. */
    public void onTable(RoutingTable table) {
        loop.runOnContext(v -> adopt(table));
    }

    private void adopt(RoutingTable table) {
        io.dsha.api.topology.Ingest before = settings;
        settings = table.topology().ingest();
        if (settings != null && settings.journal().maxBytes() > HEAP_BOUND
                && (before == null || !before.journal().maxBytes().equals(settings.journal().maxBytes()))) {
            LOG.warnf("Ingest: ingest.journal.maxBytes is %d, but this proxy keeps what it holds in memory too and its heap allows "
                    + "%d (a third of -Xmx): it holds at most that (raise -Xmx to hold more)", settings.journal().maxBytes(), HEAP_BOUND);
        }
        Set<String> seen = new HashSet<>();
        for (Backend b : table.topology().backends()) {
            seen.add(b.id());
            Target t = targetOf(b);
            Delivery d = deliveries.get(b.id());
            if (d == null) {
                d = new Delivery(this, b.id(), t);
                deliveries.put(b.id(), d);
                register(d);
            } else {
                d.target(t);
            }
            d.enabled = b.adminState() == AdminState.ENABLED;
        }
        for (Verdict v : table.snapshot().verdicts()) {
            Delivery d = deliveries.get(v.backendId());
            if (d != null) {
                d.verdict(v.status() == HealthStatus.UP);
            }
        }
        for (String gone : new ArrayList<>(deliveries.keySet())) {
            if (!seen.contains(gone)) {
                List<IngestRecord> dropped = deliveries.remove(gone).drop();
                if (!dropped.isEmpty()) {
                    LOG.warnf("Ingest: %s left the topology with %d records not delivered to it: they are dropped for it", gone, dropped.size());
                }
                for (IngestRecord r : dropped) {
                    settle(r, r.index(gone), IngestRecord.Outcome.DROPPED, gone);
                }
            }
        }
        if (recovered != null) {
            List<IngestJournal.Recovered> back = recovered;
            recovered = null;
            // Every record is live before any is settled: a compaction meanwhile must not leave the later ones out.
            for (IngestJournal.Recovered rec : back) {
                live.put(rec.record().seq, rec.record());
            }
            recovering = true;
            for (IngestJournal.Recovered rec : back) {
                IngestRecord r = rec.record();
                for (int i = 0; i < r.targets.length; i++) {
                    if (!rec.remaining().contains(r.targets[i])) {
                        // Done with there before the restart (taken, refused or dropped: the journal does not say which).
                        r.settle(i, IngestRecord.Outcome.DROPPED);
                    }
                }
                for (int i = 0; i < r.targets.length; i++) {
                    Delivery d = deliveries.get(r.targets[i]);
                    if (r.outcome(i) != IngestRecord.Outcome.PENDING) {
                        continue;
                    }
                    if (d == null) {
                        settle(r, i, IngestRecord.Outcome.DROPPED, r.targets[i]);
                    } else {
                        d.enqueue(r, true);
                    }
                }
            }
            recovering = false;
            compactIfDue();
        }
        for (Delivery d : deliveries.values()) {
            d.pump();
        }
    }

    private Target targetOf(Backend b) {
        for (Target t : targets.get()) {
            if (t.id().equals(b.id()) && t.host().equals(b.host()) && t.port() == b.port()) {
                return t;
            }
        }
        throw new IllegalStateException("no data-path target for backend " + b.id());
    }

    private void register(Delivery d) {
        String id = d.backend;
        Gauge.builder("dsha_ingest_backlog_records", deliveries, m -> figure(m, id, Delivery::backlogRecords)).tag("backend", id)
                .description("Records accepted on ingest routes that this backend has not taken yet (its backlog)").register(meters);
        Gauge.builder("dsha_ingest_backlog_bytes", deliveries, m -> figure(m, id, Delivery::backlogBytes)).tag("backend", id)
                .description("Bytes of this backend's ingest backlog").register(meters);
        Gauge.builder("dsha_ingest_backlog_oldest_seconds", deliveries,
                m -> figure(m, id, x -> x.oldestAgeMs(System.currentTimeMillis())) / 1000.0).tag("backend", id)
                .description("Age of the oldest record in this backend's ingest backlog").register(meters);
        FunctionCounter.builder("dsha_ingest_delivered_total", deliveries, m -> figure(m, id, Delivery::delivered)).tag("backend", id)
                .description("Records this backend accepted (2xx), replays included").register(meters);
        FunctionCounter.builder("dsha_ingest_diverged_total", deliveries, m -> figure(m, id, Delivery::diverged)).tag("backend", id)
                .description("Records this backend refused (4xx) that another instance accepted").register(meters);
    }

    private static double figure(Map<String, Delivery> m, String id, java.util.function.ToLongFunction<Delivery> f) {
        Delivery d = m.get(id);
        return d == null ? 0 : f.applyAsLong(d);
    }

    private void count(String result) {
        results.computeIfAbsent(result, r -> Counter.builder("dsha_ingest_records_total").tag("result", r)
                .description("Records sources sent on ingest routes, by what they were answered").register(meters)).increment();
    }

    // ---- a record arrives

    /** Takes a record from a source; {@code waiter} hears the answer once (on the ingest loop). Any thread. */
    public void submit(Request req, java.util.function.Consumer<IngestAnswer> waiter) {
        loop.runOnContext(v -> accept(req, waiter));
    }

    private void accept(Request req, java.util.function.Consumer<IngestAnswer> waiter) {
        io.dsha.api.topology.Ingest s = settings;
        if (s == null) {
            count("unavailable");
            waiter.accept(IngestAnswer.problem(503, "Ingest not configured", "the topology has no ingest routes any more", null));
            return;
        }
        String header = s.idempotencyHeader();
        String key = null;
        List<Map.Entry<String, String>> headers = new ArrayList<>(req.headers().size() + 1);
        for (Map.Entry<String, String> h : req.headers()) {
            String name = h.getKey().toLowerCase(java.util.Locale.ROOT);
            if (NOT_JOURNALED.contains(name)) {
                continue;
            }
            if (name.equalsIgnoreCase(header)) {
                if (key == null) {
                    key = h.getValue();
                }
                continue;
            }
            headers.add(h);
        }
        if (key == null || key.isBlank()) {
            key = UUID.randomUUID().toString();
        }
        headers.add(Map.entry(header, key));
        List<String> to = new ArrayList<>();
        deliveries.forEach((id, d) -> {
            if (d.enabled) {
                to.add(id);
            }
        });
        if (to.isEmpty()) {
            count("unavailable");
            waiter.accept(IngestAnswer.problem(503, "No instance to deliver to", "no backend is ENABLED, so the record was not stored", key));
            return;
        }
        to.sort(null);
        IngestRecord r = new IngestRecord(++nextSeq, key, req.method(), req.uri(), headers, req.body(), System.currentTimeMillis(),
                to.toArray(String[]::new), req.source());
        long max = maxBytes(s);
        if (liveBytes + r.size > max) {
            count("journal_full");
            waiter.accept(IngestAnswer.problem(507, "Ingest journal full", "the proxy holds " + liveBytes + " of its " + max
                    + " bytes (ingest.journal.maxBytes" + (max < s.journal().maxBytes() ? ", bounded by a third of the heap" : "")
                    + ") for instances that have not taken them" + backlogSummary()
                    + ": nothing was stored; send it again once they catch up", key));
            return;
        }
        r.waiter = waiter;
        r.ackAll = s.ack() == IngestAck.ALL;
        r.failures = new String[r.targets.length];
        r.inDoubt = new boolean[r.targets.length];
        live.put(r.seq, r);
        liveBytes += r.size;
        liveRecords++;
        journalEstimate += r.size;
        try {
            journal.appendRecord(r, failure -> loop.runOnContext(v -> journaled(r, failure)));
        } catch (RuntimeException e) {
            journaled(r, new IOException(e.getMessage(), e));
        }
    }

    /**
     * What the proxy holds at most: {@code ingest.journal.maxBytes}, or a third of the heap when that is less (the
     * records are kept in memory as well as in the journal; past the heap the proxy would fail with OutOfMemoryError).
     */
    static long maxBytes(io.dsha.api.topology.Ingest s) {
        return Math.min(s.journal().maxBytes(), HEAP_BOUND);
    }

    private static final long HEAP_BOUND = Runtime.getRuntime().maxMemory() / 3;

    private String backlogSummary() {
        StringBuilder sb = new StringBuilder();
        long now = System.currentTimeMillis();
        deliveries.forEach((id, d) -> {
            if (d.hasBacklog()) {
                sb.append(sb.isEmpty() ? " (" : "; ").append(id).append(": ").append(d.backlogRecords()).append(" records, the oldest ")
                        .append(d.oldestAgeMs(now) / 1000).append(" s old");
            }
        });
        return sb.isEmpty() ? "" : sb.append(')').toString();
    }

    private void journaled(IngestRecord r, IOException failure) {
        if (failure != null) {
            forgetLive(r);
            count("journal_failed");
            answer(r, IngestAnswer.problem(507, "Ingest journal not writable", "the proxy could not write the record to its journal ("
                    + failure.getMessage() + "): nothing was stored", r.key));
            return;
        }
        r.deadline = vertx.setTimer(timeoutMs(), id -> {
            r.deadline = -1;
            evaluate(r, true);
        });
        for (int i = 0; i < r.targets.length; i++) {
            Delivery d = deliveries.get(r.targets[i]);
            if (d == null) {
                settle(r, i, IngestRecord.Outcome.DROPPED, r.targets[i]); // it left the topology meanwhile
            } else {
                d.enqueue(r, false);
            }
        }
        evaluate(r, false);
    }

    // ---- what instances did with it (from Delivery)

    void accepted(IngestRecord r, Delivery d, IngestAnswer a) {
        if (r.firstAccepted == null) {
            r.firstAccepted = a;
        }
        settle(r, r.index(d.backend), IngestRecord.Outcome.ACCEPTED, d.backend);
        divergence(r);
        evaluate(r, false);
    }

    void refused(IngestRecord r, Delivery d, IngestAnswer a) {
        if (r.firstRefused == null) {
            r.firstRefused = a;
        }
        LOG.debugf("Ingest: %s refused record %s (%d)", d.backend, r.key, a.status());
        settle(r, r.index(d.backend), IngestRecord.Outcome.REFUSED, d.backend);
        divergence(r);
        evaluate(r, false);
    }

    /** {@code d} has not taken {@code r} (yet): its source, if waiting, may have to be answered without it. */
    void couldNotTake(IngestRecord r, Delivery d, String reason, boolean inDoubt) {
        if (r.waiter == null) {
            return;
        }
        int i = r.index(d.backend);
        if (r.failures[i] == null) {
            r.failures[i] = reason;
        }
        r.inDoubt[i] |= inDoubt;
        evaluate(r, false);
    }

    /** One instance refused what another accepted: counted once per record, logged, never retried. */
    private void divergence(IngestRecord r) {
        if (r.divergenceCounted || !r.any(IngestRecord.Outcome.ACCEPTED) || !r.any(IngestRecord.Outcome.REFUSED)) {
            return;
        }
        r.divergenceCounted = true;
        StringBuilder refusedBy = new StringBuilder();
        for (int i = 0; i < r.targets.length; i++) {
            if (r.outcome(i) == IngestRecord.Outcome.REFUSED) {
                Delivery d = deliveries.get(r.targets[i]);
                if (d != null) {
                    d.diverge();
                }
                refusedBy.append(refusedBy.isEmpty() ? "" : ", ").append(r.targets[i]);
            }
        }
        count("diverged");
        LOG.warnf("Ingest: record %s diverged: %s refused it (%d) while another instance accepted it; it is not sent again",
                r.key, refusedBy, r.firstRefused.status());
    }

    private void settle(IngestRecord r, int i, IngestRecord.Outcome o, String backend) {
        if (i < 0 || !r.settle(i, o)) {
            return;
        }
        journal.appendDone(r.seq, backend);
        journalEstimate += 32;
        if (r.settled()) {
            forgetLive(r);
            compactIfDue();
        }
    }

    private void forgetLive(IngestRecord r) {
        if (live.remove(r.seq) != null) {
            liveBytes -= r.size;
            liveRecords--;
        }
    }

    /** Rewrites the journal with only what is live once it has grown past twice that (and past 16 MiB). */
    private void compactIfDue() {
        if (recovering || journalEstimate < Math.max(16L << 20, 2 * liveBytes)) {
            return;
        }
        List<IngestJournal.Recovered> keep = new ArrayList<>(live.size());
        for (IngestRecord r : live.values()) {
            List<String> remaining = new ArrayList<>(r.targets.length);
            for (int i = 0; i < r.targets.length; i++) {
                if (r.outcome(i) == IngestRecord.Outcome.PENDING) {
                    remaining.add(r.targets[i]);
                }
            }
            keep.add(new IngestJournal.Recovered(r, remaining));
        }
        journal.rewrite(keep);
        journalEstimate = liveBytes;
    }

    // ---- the source's answer

    /**
     * Answers the waiting source once its acknowledgement is decided: at once when the policy is met; otherwise once
     * no instance is still being tried for the first time, or at the deadline ({@code expired}).
     */
    private void evaluate(IngestRecord r, boolean expired) {
        if (r.waiter == null) {
            return;
        }
        int accepted = 0;
        boolean untried = false;
        boolean doubt = r.sending > 0;
        for (int i = 0; i < r.targets.length; i++) {
            IngestRecord.Outcome o = r.outcome(i);
            if (o == IngestRecord.Outcome.ACCEPTED) {
                accepted++;
            } else if (o == IngestRecord.Outcome.PENDING && r.failures[i] == null) {
                untried = true;
            }
            doubt |= r.inDoubt[i];
        }
        if (accepted > 0 && (!r.ackAll || accepted == r.targets.length)) {
            count("accepted");
            answer(r, r.firstAccepted);
            return;
        }
        if ((untried || r.sending > 0) && !expired) {
            return; // an instance is still being tried, or has it on its way: its answer decides
        }
        if (accepted == 0 && !doubt) {
            // No instance has it and none may have it: given up everywhere, so it is never replayed.
            String why = reasons(r);
            boolean allRefused = r.firstRefused != null && !r.any(IngestRecord.Outcome.PENDING);
            abort(r);
            if (allRefused) {
                count("refused");
                answer(r, r.firstRefused);
            } else {
                count("unavailable");
                answer(r, IngestAnswer.problem(503, "No instance accepted the record", "nothing was stored: " + why, r.key));
            }
            return;
        }
        if (accepted > 0 && r.any(IngestRecord.Outcome.REFUSED)) {
            count("diverged_unacknowledged");
            answer(r, IngestAnswer.problem(502, "Instances disagree on the record", "ack: ALL, and " + reasons(r)
                    + "; the instances that accepted it keep it", r.key));
            return;
        }
        count(accepted > 0 ? "partial" : "in_doubt");
        String what = accepted > 0 ? "it was accepted by " + list(r, IngestRecord.Outcome.ACCEPTED) + " but not by every instance ("
                + reasons(r) + ")" : "no instance confirmed it within " + timeoutMs() + " ms (" + reasons(r) + "); one may have stored it";
        answer(r, IngestAnswer.problem(503, "Record not acknowledged", what + ". It is kept in the proxy's journal and delivered to "
                + "every instance as they answer; send it again only with " + settingsHeader() + ": " + r.key, r.key));
    }

    private String settingsHeader() {
        io.dsha.api.topology.Ingest s = settings;
        return s == null ? "Idempotency-Key" : s.idempotencyHeader();
    }

    private static String list(IngestRecord r, IngestRecord.Outcome o) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < r.targets.length; i++) {
            if (r.outcome(i) == o) {
                sb.append(sb.isEmpty() ? "" : ", ").append(r.targets[i]);
            }
        }
        return sb.toString();
    }

    private static String reasons(IngestRecord r) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < r.targets.length; i++) {
            IngestRecord.Outcome o = r.outcome(i);
            String why = switch (o) {
                case ACCEPTED -> "accepted";
                case REFUSED -> "refused it (" + (r.firstRefused == null ? "4xx" : r.firstRefused.status()) + ")";
                case DROPPED -> "left the topology";
                case PENDING -> r.failures[i] != null ? r.failures[i] : r.inDoubt[i] ? "no answer" : "no answer yet";
            };
            sb.append(sb.isEmpty() ? "" : "; ").append(r.targets[i]).append(": ").append(why);
        }
        return sb.toString();
    }

    private void abort(IngestRecord r) {
        r.aborted = true;
        for (int i = 0; i < r.targets.length; i++) {
            if (r.outcome(i) == IngestRecord.Outcome.PENDING) {
                r.settle(i, IngestRecord.Outcome.DROPPED);
            }
        }
        journal.appendAbort(r.seq);
        journalEstimate += 16;
        forgetLive(r);
    }

    private void answer(IngestRecord r, IngestAnswer a) {
        java.util.function.Consumer<IngestAnswer> w = r.waiter;
        r.waiter = null;
        r.failures = null;
        r.inDoubt = null;
        if (r.deadline >= 0) {
            vertx.cancelTimer(r.deadline);
            r.deadline = -1;
        }
        if (w != null) {
            w.accept(a);
        }
    }

    /** Records still to deliver somewhere (tests and shutdown). Any thread. */
    public long heldRecords() {
        return liveRecords;
    }

    /** Whether {@link #close} began: nothing more is sent. */
    boolean closed() {
        return closed;
    }

    private volatile boolean closed;

    /** Stops delivering (what is not delivered stays in the journal, replayed at the next start) and closes the journal. */
    @Override
    public void close() {
        closed = true;
        http.close();
        journal.close();
    }
}
