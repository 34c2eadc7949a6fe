package io.dsha.sim;

import static java.util.Objects.requireNonNull;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PfxOptions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in DataStack instance: what the demo and the end-to-end tests put behind the balancer in
 * place of the real product. Everything it answers names the instance ({@code X-DataStack-Instance}).
 *
 * <ul>
 *   <li>{@code GET /health}: the status set by {@code POST /sim/health {"status": 500}} (200 at first);</li>
 *   <li>{@code POST /sim/hang {"hang": true}}: from then on every request but {@code /sim/*} is accepted
 *       and never answered;</li>
 *   <li>{@code POST /api/records}: ingests one record (JSON; its identity is the {@code Idempotency-Key} header when
 *       sent, else its {@code id}, else one is made), 201 once it is stored (with {@code sim.journal-file}, forced to
 *       disk and read back at start), 200 with {@code "duplicate": true} for one stored before (stored once);
 *       {@code GET /api/records/{id}} finds it, {@code GET /api/records} lists the ids, their count and a
 *       {@code checksum} of the set (SHA-256 of the sorted ids, one per line), to compare instances;
 *       {@code POST /sim/refuse {"status": 422}} makes it refuse every record with that status ({@code 0}: accept again);</li>
 *   <li>{@code GET /status}: data freshness, {@code {"ingest": {"lastRecordTime": ISO-8601, "records": N}}};</li>
 *   <li>{@code GET /api/info}: which instance answered; {@code GET /sim/state}: everything above.</li>
 * </ul>
 * Handlers run on the event loop; the state is safe to read from any thread.
 */
public final class DataStackSim {

    /** The request header whose value, when sent, identifies a record: the same record sent twice is stored once. */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    /** The response header naming the instance that answered. */
    public static final String INSTANCE_HEADER = "X-DataStack-Instance";

    private final Vertx vertx;
    private final SimSettings settings;
    private final AtomicInteger healthStatus = new AtomicInteger(200);
    private final Map<String, Long> records = new ConcurrentHashMap<>();
    private final AtomicLong lastRecord = new AtomicLong();
    private final AtomicLong fed = new AtomicLong();
    private volatile boolean hang;
    /** While not 0: every record posted is refused with this status (an instance whose schema says no). */
    private volatile int refuse;
    private volatile HttpServer server;
    private long feedTimer = -1;
    private java.nio.channels.FileChannel journal;

    public DataStackSim(Vertx vertx, SimSettings settings) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.settings = requireNonNull(settings, "settings");
    }

    /** Binds the listener; the future gives the port (a free one when the settings say 0). */
    public Future<Integer> start() {
        HttpServerOptions options = new HttpServerOptions().setHost(settings.host());
        settings.keystore().ifPresent(ks -> options.setSsl(true)
                .setKeyCertOptions(new PfxOptions().setPath(ks.toString()).setPassword(settings.keystorePassword())));
        lastRecord.set(System.currentTimeMillis());
        if (settings.journal().isPresent()) {
            try {
                java.nio.file.Path j = settings.journal().get();
                if (java.nio.file.Files.exists(j)) {
                    java.nio.file.Files.readAllLines(j).stream().filter(l -> !l.isBlank()).forEach(this::store);
                }
                journal = java.nio.channels.FileChannel.open(j, java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.APPEND);
            } catch (java.io.IOException e) {
                return Future.failedFuture(e);
            }
        }
        if (!settings.feedIntervalMillis().isEmpty()) {
            long every = settings.feedIntervalMillis().getAsLong();
            feedTimer = vertx.setPeriodic(every, id -> store("feed-" + settings.name() + "-" + System.currentTimeMillis() + "-" + fed.incrementAndGet()));
        }
        return vertx.createHttpServer(options).requestHandler(this::handle).listen(settings.port()).map(s -> {
            server = s;
            return s.actualPort();
        });
    }

    public Future<Void> stop() {
        if (feedTimer >= 0) {
            vertx.cancelTimer(feedTimer);
        }
        HttpServer s = server;
        return (s == null ? Future.<Void>succeededFuture() : s.close()).eventually(() -> vertx.executeBlocking(() -> {
            synchronized (this) {
                if (journal != null) {
                    journal.close();
                    journal = null;
                }
            }
            return null;
        }).mapEmpty());
    }

    public String scheme() {
        return settings.keystore().isPresent() ? "https" : "http";
    }

    public int healthStatus() {
        return healthStatus.get();
    }

    public void healthStatus(int status) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status: " + status + " (expected: 100..599)");
        }
        healthStatus.set(status);
    }

    public void hang(boolean on) {
        hang = on;
    }

    public boolean hasRecord(String id) {
        return records.containsKey(id);
    }

    public int recordCount() {
        return records.size();
    }

    /**
     * Stores an ingested record: with a journal, the id is written and forced to disk before it is counted (and so
     * before the client is told), so a killed instance comes back with every record it acknowledged.
     */
    private synchronized boolean journal(String id) throws java.io.IOException {
        if (records.containsKey(id)) {
            return false; // seen before (a retry, a replay): stored once
        }
        if (journal != null) {
            journal.write(java.nio.ByteBuffer.wrap((id + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            journal.force(false);
        }
        store(id);
        return true;
    }

    private void store(String id) {
        long now = System.currentTimeMillis();
        records.put(id, now);
        lastRecord.accumulateAndGet(now, Math::max);
    }

    private void handle(HttpServerRequest req) {
        req.response().putHeader(INSTANCE_HEADER, settings.name());
        String path = req.path();
        if (path.startsWith("/sim/")) {
            handleControl(req, path);
            return;
        }
        if (hang) {
            return; // accepted, never answered: what a hung server looks like from outside
        }
        if (path.equals("/health") && req.method() == HttpMethod.GET) {
            int status = healthStatus.get();
            json(req, status, new JsonObject().put("status", status < 400 ? "UP" : "DOWN").put("instance", settings.name()));
        } else if (path.equals("/status") && req.method() == HttpMethod.GET) {
            json(req, 200, new JsonObject().put("instance", settings.name()).put("ingest", new JsonObject()
                    .put("lastRecordTime", Instant.ofEpochMilli(lastRecord.get()).toString()).put("records", records.size())));
        } else if (path.equals("/api/info") && req.method() == HttpMethod.GET) {
            json(req, 200, new JsonObject().put("instance", settings.name()).put("product", "DataStack (simulated)"));
        } else if (path.equals("/api/records") && req.method() == HttpMethod.POST && refuse != 0) {
            json(req, refuse, new JsonObject().put("error", "this instance refuses records (POST /sim/refuse)").put("instance", settings.name()));
        } else if (path.equals("/api/records") && req.method() == HttpMethod.POST) {
            String key = req.getHeader(IDEMPOTENCY_KEY);
            req.body().onSuccess(body -> {
                String bodyId = recordId(body.length() == 0 ? null : body.toString());
                if (bodyId == null) {
                    json(req, 400, new JsonObject().put("error", "a record is a JSON object; its optional \"id\" a string"));
                    return;
                }
                // The idempotency key, when sent, is the record's identity: a record sent again under it is stored once.
                String id = key != null && !key.isBlank() ? key.strip() : bodyId;
                if (id.contains("/")) {
                    json(req, 400, new JsonObject().put("error", IDEMPOTENCY_KEY + " must not contain '/'"));
                    return;
                }
                vertx.executeBlocking(() -> journal(id)).onFailure(e -> json(req, 500, new JsonObject().put("error", "not stored: " + e.getMessage())))
                        .onSuccess(stored -> json(req, stored ? 201 : 200, new JsonObject().put("id", id).put("instance", settings.name())
                                .put("records", records.size()).put("duplicate", !stored)));
            });
        } else if (path.equals("/api/records") && req.method() == HttpMethod.GET) {
            List<String> ids = records.keySet().stream().sorted().toList();
            json(req, 200, new JsonObject().put("instance", settings.name()).put("count", ids.size()).put("checksum", checksum(ids))
                    .put("ids", new JsonArray(ids)));
        } else if (path.startsWith("/api/records/") && req.method() == HttpMethod.GET) {
            String id = path.substring("/api/records/".length());
            Long at = records.get(id);
            if (at == null) {
                json(req, 404, new JsonObject().put("id", id).put("instance", settings.name()));
            } else {
                json(req, 200, new JsonObject().put("id", id).put("instance", settings.name()).put("at", Instant.ofEpochMilli(at).toString()));
            }
        } else {
            json(req, 404, new JsonObject().put("error", "no such path: " + path));
        }
    }

    private void handleControl(HttpServerRequest req, String path) {
        if (req.method() == HttpMethod.GET && path.equals("/sim/state")) {
            json(req, 200, state());
            return;
        }
        if (req.method() != HttpMethod.POST || !(path.equals("/sim/health") || path.equals("/sim/hang") || path.equals("/sim/refuse"))) {
            json(req, 404, new JsonObject().put("error", "control paths: POST /sim/health, POST /sim/hang, POST /sim/refuse, GET /sim/state"));
            return;
        }
        req.body().onSuccess(body -> {
            try {
                JsonObject o = new JsonObject(body.toString());
                if (path.equals("/sim/health")) {
                    healthStatus(o.getInteger("status"));
                } else if (path.equals("/sim/refuse")) {
                    int status = o.getInteger("status");
                    if (status != 0 && (status < 400 || status > 599)) {
                        throw new IllegalArgumentException("status");
                    }
                    refuse = status;
                } else {
                    hang(o.getBoolean("hang"));
                }
                json(req, 200, state());
            } catch (DecodeException | ClassCastException | NullPointerException | IllegalArgumentException e) {
                json(req, 400, new JsonObject().put("error", path.equals("/sim/health") ? "expected {\"status\": 100..599}"
                        : path.equals("/sim/refuse") ? "expected {\"status\": 400..599, or 0 to accept again}" : "expected {\"hang\": true|false}"));
            }
        });
    }

    private JsonObject state() {
        return new JsonObject().put("instance", settings.name()).put("health", healthStatus.get()).put("hang", hang).put("refuse", refuse)
                .put("records", records.size()).put("lastRecordTime", Instant.ofEpochMilli(lastRecord.get()).toString());
    }

    /** The record's id, a new one when it has none; null when the body is not a JSON object with a string id. */
    /** SHA-256 of the ids, sorted, each followed by a line feed: equal on two instances holding the same set. */
    static String checksum(List<String> sortedIds) {
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            for (String id : sortedIds) {
                sha.update((id + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            return java.util.HexFormat.of().formatHex(sha.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String recordId(String body) {
        if (body == null) {
            return UUID.randomUUID().toString();
        }
        try {
            Object id = new JsonObject(body).getValue("id");
            if (id == null) {
                return UUID.randomUUID().toString();
            }
            return id instanceof String s && !s.isBlank() && !s.contains("/") ? s : null;
        } catch (DecodeException | ClassCastException e) {
            return null;
        }
    }

    private static void json(HttpServerRequest req, int status, JsonObject body) {
        req.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
    }

    /** The {@code sim.*} settings as plain values, so tests build them without a config source. */
    public record SimSettings(String name, String host, int port, Optional<java.nio.file.Path> keystore, String keystorePassword,
            java.util.OptionalLong feedIntervalMillis, Optional<java.nio.file.Path> journal) {
        public SimSettings {
            requireNonNull(name, "name");
            requireNonNull(host, "host");
            requireNonNull(keystore, "keystore");
            requireNonNull(feedIntervalMillis, "feedIntervalMillis");
            requireNonNull(journal, "journal");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
            }
        }

        /**
         * Instance {@code index} (from 1) of {@code count} served by one process: named {@code name-index} and bound to
         * {@code port + index - 1} (each to a free port when the port is 0). One instance is these settings unchanged.
         * Many instances cannot share one journal file.
         */
        public SimSettings instance(int index, int count) {
            if (count < 1 || index < 1 || index > count) {
                throw new IllegalArgumentException("instance: " + index + " of " + count + " (expected: 1..count, count >= 1)");
            }
            if (count == 1) {
                return this;
            }
            if (journal.isPresent()) {
                throw new IllegalArgumentException("instances: " + count + " (expected: 1 with a journal file; instances would share it)");
            }
            if (port != 0 && port + count - 1 > 65535) {
                throw new IllegalArgumentException("port: " + port + " (expected: at most " + (65536 - count) + " for " + count + " instances)");
            }
            return new SimSettings(name + "-" + index, host, port == 0 ? 0 : port + index - 1, keystore, keystorePassword,
                    feedIntervalMillis, journal);
        }

        public static SimSettings plain(String name) {
            return new SimSettings(name, "127.0.0.1", 0, Optional.empty(), "", java.util.OptionalLong.empty(), Optional.empty());
        }
    }
}
