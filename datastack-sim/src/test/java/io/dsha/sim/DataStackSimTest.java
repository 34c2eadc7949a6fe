package io.dsha.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.sim.DataStackSim.SimSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataStackSimTest {

    private Vertx vertx;
    private DataStackSim sim;
    private String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        sim = new DataStackSim(vertx, SimSettings.plain("a"));
        base = "http://127.0.0.1:" + sim.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void healthAnswersTheStatusFlippedOverHttp() throws Exception {
        HttpResponse<String> up = send(http, "GET", base + "/health", null);
        assertEquals(200, up.statusCode());
        assertEquals("a", up.headers().firstValue(DataStackSim.INSTANCE_HEADER).orElseThrow());

        assertEquals(200, send(http, "POST", base + "/sim/health", "{\"status\":500}").statusCode());
        HttpResponse<String> down = send(http, "GET", base + "/health", null);
        assertEquals(500, down.statusCode());
        assertEquals("DOWN", new JsonObject(down.body()).getString("status"));

        assertEquals(400, send(http, "POST", base + "/sim/health", "{\"status\":42}").statusCode());
        assertEquals(400, send(http, "POST", base + "/sim/health", "not json").statusCode());
        assertEquals(500, sim.healthStatus(), "a refused flip changes nothing");
    }

    @Test
    void manyInstancesFromOneProcessEachHaveTheirOwnPortNameAndHealth() throws Exception {
        SimSettings site = SimSettings.plain("site");
        DataStackSim[] sims = new DataStackSim[3];
        String[] bases = new String[3];
        for (int i = 0; i < 3; i++) {
            sims[i] = new DataStackSim(vertx, site.instance(i + 1, 3));
            bases[i] = "http://127.0.0.1:" + sims[i].start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        assertEquals(3, java.util.Set.of(bases).size());

        assertEquals(200, send(http, "POST", bases[1] + "/sim/health", "{\"status\":500}").statusCode());
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> health = send(http, "GET", bases[i] + "/health", null);
            assertEquals(i == 1 ? 500 : 200, health.statusCode());
            assertEquals("site-" + (i + 1), health.headers().firstValue(DataStackSim.INSTANCE_HEADER).orElseThrow());
        }
    }

    @Test
    void instancesAreNumberedFromTheFirstPortAndCannotShareAJournal() {
        SimSettings one = new SimSettings("x", "127.0.0.1", 20000, Optional.empty(), "", OptionalLong.empty(), Optional.empty());
        assertEquals(one, one.instance(1, 1));
        assertEquals("x-3", one.instance(3, 5).name());
        assertEquals(20002, one.instance(3, 5).port());
        assertThrows(IllegalArgumentException.class, () -> one.instance(6, 5));
        SimSettings journaled = new SimSettings("x", "127.0.0.1", 0, Optional.empty(), "", OptionalLong.empty(), Optional.of(Path.of("j")));
        assertThrows(IllegalArgumentException.class, () -> journaled.instance(1, 2));
    }

    @Test
    void recordsAreStoredBeforeTheyAreAcknowledgedAndMoveFreshness() throws Exception {
        Instant before = Instant.parse(new JsonObject(send(http, "GET", base + "/status", null).body())
                .getJsonObject("ingest").getString("lastRecordTime"));

        HttpResponse<String> created = send(http, "POST", base + "/api/records", "{\"id\":\"r-1\",\"value\":3}");
        assertEquals(201, created.statusCode());
        assertEquals("r-1", new JsonObject(created.body()).getString("id"));
        assertTrue(sim.hasRecord("r-1"));
        assertEquals(201, send(http, "POST", base + "/api/records", "{\"value\":4}").statusCode(), "an id is made when there is none");
        assertEquals(400, send(http, "POST", base + "/api/records", "[1,2]").statusCode());
        assertEquals(400, send(http, "POST", base + "/api/records", "{\"id\":7}").statusCode());

        assertEquals(200, send(http, "GET", base + "/api/records/r-1", null).statusCode());
        assertEquals(404, send(http, "GET", base + "/api/records/r-2", null).statusCode());
        JsonObject status = new JsonObject(send(http, "GET", base + "/status", null).body()).getJsonObject("ingest");
        assertEquals(2, status.getInteger("records"));
        assertFalse(Instant.parse(status.getString("lastRecordTime")).isBefore(before));
        assertEquals(2, new JsonObject(send(http, "GET", base + "/api/records", null).body()).getInteger("count"));
    }

    @Test
    void aRecordSentAgainUnderItsIdempotencyKeyIsStoredOnceAndTheChecksumComparesInstances(@TempDir Path dir) throws Exception {
        HttpRequest.Builder post = HttpRequest.newBuilder(URI.create(base + "/api/records")).header("Content-Type", "application/json");
        HttpResponse<String> first = http.send(post.copy().header(DataStackSim.IDEMPOTENCY_KEY, "src-1.42")
                .POST(HttpRequest.BodyPublishers.ofString("{\"value\":1}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, first.statusCode(), first.body());
        assertEquals("src-1.42", new JsonObject(first.body()).getString("id"), "the key is the record's identity");
        HttpResponse<String> again = http.send(post.copy().header(DataStackSim.IDEMPOTENCY_KEY, "src-1.42")
                .POST(HttpRequest.BodyPublishers.ofString("{\"value\":1}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, again.statusCode(), again.body());
        assertTrue(new JsonObject(again.body()).getBoolean("duplicate"));
        assertEquals(201, send(http, "POST", base + "/api/records", "{\"id\":\"r-2\"}").statusCode(), "a record by its body's id");
        assertEquals(200, send(http, "POST", base + "/api/records", "{\"id\":\"r-2\"}").statusCode(), "the same id again: stored once");
        assertEquals(2, sim.recordCount());

        // Another instance holding the same set, sent in another order, has the same checksum; one more record changes it.
        SimSettings journaled = new SimSettings("b", "127.0.0.1", 0, Optional.empty(), "", OptionalLong.empty(), Optional.of(dir.resolve("b.journal")));
        DataStackSim b = new DataStackSim(vertx, journaled);
        String other = "http://127.0.0.1:" + b.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(201, send(http, "POST", other + "/api/records", "{\"id\":\"r-2\"}").statusCode());
        assertEquals(201, send(http, "POST", other + "/api/records", "{\"id\":\"src-1.42\"}").statusCode());
        JsonObject here = new JsonObject(send(http, "GET", base + "/api/records", null).body());
        JsonObject there = new JsonObject(send(http, "GET", other + "/api/records", null).body());
        assertEquals(here.getString("checksum"), there.getString("checksum"));
        assertEquals(2, there.getInteger("count"));
        assertEquals(201, send(http, "POST", other + "/api/records", "{\"id\":\"r-3\"}").statusCode());
        assertNotEquals(here.getString("checksum"), new JsonObject(send(http, "GET", other + "/api/records", null).body()).getString("checksum"));
        b.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

        // Sent again after a restart (a replay): still once, the journal says it was stored.
        DataStackSim back = new DataStackSim(vertx, journaled);
        String again2 = "http://127.0.0.1:" + back.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(200, send(http, "POST", again2 + "/api/records", "{\"id\":\"r-3\"}").statusCode());
        assertEquals(3, back.recordCount());
    }

    @Test
    void journaledRecordsSurviveARestart(@TempDir Path dir) throws Exception {
        SimSettings journaled = new SimSettings("j", "127.0.0.1", 0, Optional.empty(), "", OptionalLong.empty(),
                Optional.of(dir.resolve("j.journal")));
        DataStackSim first = new DataStackSim(vertx, journaled);
        int port = first.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(201, send(http, "POST", "http://127.0.0.1:" + port + "/api/records", "{\"id\":\"kept\"}").statusCode());
        first.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

        DataStackSim second = new DataStackSim(vertx, journaled);
        second.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertTrue(second.hasRecord("kept"));
        assertEquals(1, second.recordCount());
    }

    @Test
    void aHangingInstanceAcceptsAndNeverAnswersButStillTakesControlCalls() throws Exception {
        assertEquals(200, send(http, "POST", base + "/sim/hang", "{\"hang\":true}").statusCode());
        HttpRequest slow = HttpRequest.newBuilder(URI.create(base + "/api/info")).timeout(Duration.ofMillis(300)).build();
        assertThrows(HttpTimeoutException.class, () -> http.send(slow, HttpResponse.BodyHandlers.ofString()));
        assertEquals(200, send(http, "POST", base + "/sim/hang", "{\"hang\":false}").statusCode());
        assertEquals(200, send(http, "GET", base + "/api/info", null).statusCode());
    }

    @Test
    void anInstanceToldToRefuseRecordsRefusesThemUntilToldOtherwise() throws Exception {
        assertEquals(400, send(http, "POST", base + "/sim/refuse", "{\"status\":200}").statusCode(), "only 400..599 or 0");
        assertEquals(200, send(http, "POST", base + "/sim/refuse", "{\"status\":422}").statusCode());
        assertEquals(422, send(http, "POST", base + "/api/records", "{\"id\":\"no\"}").statusCode());
        assertEquals(0, sim.recordCount());
        assertEquals(200, send(http, "POST", base + "/sim/refuse", "{\"status\":0}").statusCode());
        assertEquals(201, send(http, "POST", base + "/api/records", "{\"id\":\"yes\"}").statusCode());
        assertEquals(1, sim.recordCount());
    }

    @Test
    void feedsItselfAndServesHttpsFromAKeyStore(@TempDir Path dir) throws Exception {
        Path ks = dir.resolve("sim.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "sim", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", ks.toString(), "-storepass", "changeit", "-keypass", "changeit").inheritIO().start();
        assertEquals(0, keytool.waitFor());
        DataStackSim tls = new DataStackSim(vertx, new SimSettings("b", "127.0.0.1", 0, Optional.of(ks), "changeit", OptionalLong.of(20), Optional.empty()));
        int port = tls.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals("https", tls.scheme());

        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(ks)) {
            trust.load(in, "changeit".toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), new SecureRandom());
        HttpClient https = HttpClient.newBuilder().sslContext(ctx).build();

        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> new JsonObject(
                send(https, "GET", "https://localhost:" + port + "/status", null).body()).getJsonObject("ingest").getInteger("records") >= 3);
    }

    private static HttpResponse<String> send(HttpClient client, String method, String url, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
