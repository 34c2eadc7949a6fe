package io.dsha.controlplane.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.api.problem.Violation;
import io.dsha.api.topology.AdminState;
import io.dsha.api.topology.AllDownPolicy;
import io.dsha.api.topology.Backend;
import io.dsha.api.topology.FailbackPolicy;
import io.dsha.api.topology.HealthCheck;
import io.dsha.api.topology.HealthCheckType;
import io.dsha.api.topology.IngestAck;
import io.dsha.api.topology.Mode;
import io.dsha.api.topology.TlsMode;
import io.dsha.api.topology.Topology;
import jakarta.validation.ValidatorFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every rule of {@link TopologyValidator}, each with the exact violation (field path and message).
 * Plain JUnit with a standalone Hibernate Validator: no Quarkus application is started.
 */
class TopologyValidatorTest {

    private static final String HOST_MESSAGE = "must be a host name (RFC 1123) or an IP address";
    private static final String FQDN_MESSAGE = "must be a fully qualified domain name such as datastack.example.com";
    private static final String ID_MESSAGE =
            "must be 1 to 63 characters of a-z, 0-9, '.', '_' or '-', starting and ending with a letter or digit";
    private static final String PORT_MESSAGE = "must be between 1 and 65535";
    private static final String PRIORITY_CLASH =
            "; in ACTIVE_PASSIVE each backend needs its own (lower is preferred; a priority not given is the backend's position in the list)";
    private static final String ONLY_HTTP_TCP = "only applies to HTTP health checks; this one is TCP";

    private static ValidatorFactory factory;
    private static TopologyValidator validator;

    @BeforeAll
    static void buildValidator() {
        factory = ValidateCommand.validatorFactory();
        validator = new TopologyValidator(factory.getValidator());
    }

    @AfterAll
    static void closeFactory() {
        factory.close();
    }

    // ---------------------------------------------------------------- helpers

    /** JSON written with single quotes, for readability. */
    private static String json(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    private static final String A = "{'id':'a','host':'10.0.0.1','port':8080}";
    private static final String B = "{'id':'b','host':'10.0.0.2','port':8080}";
    private static final String BASELINE = json("{'backends':[" + A + "," + B + "]}");

    /** A topology with the given backends (single-quoted JSON objects) and every other field left to its default. */
    private static String withBackends(String... backends) {
        return json("{'backends':[" + String.join(",", backends) + "]}");
    }

    /** Backend b ({@code 10.0.0.2:8080}) with extra fields, e.g. {@code 'weight':0}. */
    private static String b(String extraFields) {
        return "{'id':'b','host':'10.0.0.2','port':8080," + extraFields + "}";
    }

    /** Backend b with the given health check object. */
    private static String bWithCheck(String healthCheck) {
        return b("'healthCheck':" + healthCheck);
    }

    private static TopologyValidator.Checked<Topology> parse(String text) {
        return validator.parse(text, false);
    }

    /**
     * Asserts the exact, complete list of violations (by field and message; where each is, is
     * asserted in {@link #violationsArePlacedAtTheirField}), and that no value is returned with them.
     */
    private static void assertViolations(String text, Violation... expected) {
        TopologyValidator.Checked<Topology> checked = parse(text);
        assertEquals(List.of(expected), unplaced(checked.violations()), () -> "input: " + text);
        assertFalse(checked.ok());
        assertNull(checked.value(), "a refused topology must not be returned");
    }

    private static Topology assertValid(String text) {
        TopologyValidator.Checked<Topology> checked = parse(text);
        assertEquals(List.of(), checked.violations(), () -> "input: " + text);
        assertTrue(checked.ok());
        assertNotNull(checked.value());
        return checked.value();
    }

    private static Violation v(String field, String message) {
        return new Violation(field, message);
    }

    private static List<Violation> unplaced(List<Violation> violations) {
        return violations.stream().map(x -> v(x.field(), x.message())).toList();
    }

    // ---------------------------------------------------------------- baseline

    @Test
    void baselineIsValidAndTakesEveryDefault() {
        Topology t = assertValid(BASELINE);

        assertEquals("0.0.0.0", t.listener().host());
        assertEquals(8443, t.listener().port());
        assertNull(t.fqdn());
        assertEquals(TlsMode.TERMINATE, t.tlsMode());
        assertEquals(Mode.ACTIVE_PASSIVE, t.mode());
        assertEquals(FailbackPolicy.AUTO, t.failback().policy());
        assertEquals(30_000L, t.failback().delayMs());
        assertEquals(AllDownPolicy.TRY_ALL, t.allDown());

        assertEquals(2, t.backends().size());
        for (int i = 0; i < 2; i++) {
            Backend b = t.backends().get(i);
            assertEquals(List.of("a", "b").get(i), b.id());
            assertEquals(List.of("10.0.0.1", "10.0.0.2").get(i), b.host());
            assertEquals(8080, b.port());
            assertEquals(i, b.priority(), "a priority not given is the backend's position in the list");
            assertEquals(1, b.weight());
            assertEquals(AdminState.ENABLED, b.adminState());
            HealthCheck hc = b.healthCheck();
            assertEquals(HealthCheckType.HTTP, hc.type());
            assertEquals("/health", hc.path());
            assertEquals(200, hc.expectStatus());
            assertEquals(1000, hc.intervalMs());
            assertEquals(500, hc.timeoutMs());
            assertEquals(2, hc.rise());
            assertEquals(2, hc.fall());
        }
        assertEquals(List.of(), validator.validate(t), "validate() agrees with parse()");
    }

    @Test
    void fullyExplicitTopologyIsValidAndKeptAsGiven() {
        Topology t = assertValid(json("""
                {'listener':{'host':'10.1.1.1','port':443},'fqdn':'ds.example.com','tlsMode':'PASSTHROUGH',
                 'mode':'ACTIVE_ACTIVE','failback':{'policy':'MANUAL','delayMs':0},'allDown':'FAIL_FAST',
                 'backends':[{'id':'db-1.x_y','host':'db1.example.com','port':65535,'priority':999,'weight':256,
                   'adminState':'DRAIN','healthCheck':{'type':'TCP','intervalMs':3600000,'timeoutMs':600000,'rise':100,'fall':1}},
                  {'id':'0','host':'10.0.0.2','port':1,'priority':0,'weight':1,'adminState':'MAINTENANCE',
                   'healthCheck':{'type':'HTTP','path':'/','expectStatus':599,'intervalMs':100,'timeoutMs':10,'rise':1,'fall':100}}]}
                """));
        assertEquals("10.1.1.1", t.listener().host());
        assertEquals(443, t.listener().port());
        assertEquals(TlsMode.PASSTHROUGH, t.tlsMode());
        assertEquals(Mode.ACTIVE_ACTIVE, t.mode());
        assertEquals(FailbackPolicy.MANUAL, t.failback().policy());
        assertEquals(0L, t.failback().delayMs());
        assertEquals(AllDownPolicy.FAIL_FAST, t.allDown());
        HealthCheck tcp = t.backends().get(0).healthCheck();
        assertEquals(HealthCheckType.TCP, tcp.type());
        assertNull(tcp.path(), "a TCP check has no path");
        assertNull(tcp.expectStatus(), "a TCP check has no expected status");
        assertEquals(999, t.backends().get(0).priority());
        assertEquals(0, t.backends().get(1).priority());
    }

    // ---------------------------------------------------------------- backends list

    @Test
    void missingBackends() {
        assertViolations("{}", v("backends", "must list at least one backend"));
    }

    @Test
    void emptyBackendList() {
        assertViolations(json("{'backends':[]}"), v("backends", "must list at least one backend"));
    }

    @Test
    void moreThan1000Backends() {
        // ACTIVE_ACTIVE, priority 0 each: in ACTIVE_PASSIVE, 1000 is also the number of distinct priorities (0..999).
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            many.add("{'id':'b" + i + "','host':'10.0." + i / 256 + "." + i % 256 + "','port':8080,'priority':0}");
        }
        assertViolations(json("{'mode':'ACTIVE_ACTIVE','backends':[" + String.join(",", many) + "]}"),
                v("backends", "must list at most 1000 backends"));
        many.remove(1000);
        assertValid(json("{'mode':'ACTIVE_ACTIVE','backends':[" + String.join(",", many) + "]}"));
    }

    @Test
    void nullBackendElement() {
        assertViolations(withBackends(A, "null", B), v("backends[1]", "must not be null"));
    }

    @Test
    void backendThatIsNotAnObject() {
        // Binding goes on after the bad element: the wrong port of the next backend is reported too.
        assertViolations(withBackends(A, "'b'", "{'id':'c','host':'10.0.0.3','port':'x'}"),
                v("backends[1]", "must be an object"),
                v("backends[2].port", "must be a whole number"));
    }

    // ---------------------------------------------------------------- ids and addresses

    @ParameterizedTest
    @ValueSource(strings = {"Bad_ID", "-a", "a-", "a b", "é", ""})
    void backendIdPattern(String id) {
        assertViolations(withBackends(A, "{'id':'" + id + "','host':'10.0.0.2','port':8080}"), v("backends[1].id", ID_MESSAGE));
    }

    @Test
    void backendIdLengthLimit() {
        String id63 = "a".repeat(63);
        assertValid(withBackends(A, "{'id':'" + id63 + "','host':'10.0.0.2','port':8080}"));
        assertViolations(withBackends(A, "{'id':'" + id63 + "b','host':'10.0.0.2','port':8080}"), v("backends[1].id", ID_MESSAGE));
    }

    @Test
    void missingBackendId() {
        assertViolations(withBackends(A, "{'host':'10.0.0.2','port':8080}"), v("backends[1].id", "must not be null"));
    }

    @Test
    void duplicateIds() {
        assertViolations(withBackends(A, "{'id':'a','host':'10.0.0.2','port':8080}"),
                v("backends[1].id", "'a' is also the id of backends[0]; ids must be unique"));
    }

    @Test
    void duplicateAddress() {
        assertViolations(withBackends(A, "{'id':'b','host':'10.0.0.1','port':8080}"),
                v("backends[1]", "address 10.0.0.1:8080 is also the address of backends[0]; each backend is a distinct instance"));
    }

    @Test
    void sameHostOnAnotherPortIsNotADuplicate() {
        assertValid(withBackends(A, "{'id':'b','host':'10.0.0.1','port':8081}"));
    }

    @Test
    void duplicateAddressComparesHostNamesCaseInsensitively() {
        assertViolations(withBackends("{'id':'a','host':'DB.example.com','port':8080}", "{'id':'b','host':'db.EXAMPLE.com','port':8080}"),
                v("backends[1]", "address db.EXAMPLE.com:8080 is also the address of backends[0]; each backend is a distinct instance"));
    }

    @Test
    void duplicateIpv6AddressWithAndWithoutBrackets() {
        assertViolations(withBackends("{'id':'a','host':'2001:db8::1','port':8080}", "{'id':'b','host':'[2001:DB8::1]','port':8080}"),
                v("backends[1]", "address [2001:DB8::1]:8080 is also the address of backends[0]; each backend is a distinct instance"));
    }

    // ---------------------------------------------------------------- ports, weight, priority

    @ParameterizedTest
    @ValueSource(ints = {0, 65536, -1})
    void backendPortOutOfRange(int port) {
        assertViolations(withBackends(A, "{'id':'b','host':'10.0.0.2','port':" + port + "}"), v("backends[1].port", PORT_MESSAGE));
    }

    @Test
    void backendPortBoundsAreValid() {
        assertValid(withBackends("{'id':'a','host':'10.0.0.1','port':1}", "{'id':'b','host':'10.0.0.2','port':65535}"));
    }

    @Test
    void missingBackendPort() {
        assertViolations(withBackends(A, "{'id':'b','host':'10.0.0.2'}"), v("backends[1].port", "must not be null"));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 65536})
    void listenerPortOutOfRange(int port) {
        assertViolations(json("{'listener':{'port':" + port + "},'backends':[" + A + "," + B + "]}"), v("listener.port", PORT_MESSAGE));
    }

    @Test
    void listenerHostMalformed() {
        assertViolations(json("{'listener':{'host':'bad_host'},'backends':[" + A + "," + B + "]}"), v("listener.host", HOST_MESSAGE));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 257, -5})
    void weightOutOfRange(int weight) {
        assertViolations(withBackends(A, b("'weight':" + weight)), v("backends[1].weight", "must be between 1 and 256"));
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 1000})
    void priorityOutOfRange(int priority) {
        assertViolations(withBackends(A, b("'priority':" + priority)), v("backends[1].priority", "must be between 0 and 999"));
    }

    @Test
    void duplicatePrioritiesInActivePassive() {
        assertViolations(withBackends("{'id':'a','host':'10.0.0.1','port':8080,'priority':5}", b("'priority':5")),
                v("backends[1].priority", "priority 5 is also held by backends[0]" + PRIORITY_CLASH));
    }

    @Test
    void duplicatePrioritiesAllowedInActiveActive() {
        Topology t = assertValid(json("{'mode':'ACTIVE_ACTIVE','backends':[{'id':'a','host':'10.0.0.1','port':8080,'priority':5},"
                + b("'priority':5") + "]}"));
        assertEquals(5, t.backends().get(0).priority());
        assertEquals(5, t.backends().get(1).priority());
    }

    @Test
    void explicitPriorityCollidesWithALaterDefault() {
        // a says 1; b has none and takes its position, 1.
        assertViolations(withBackends("{'id':'a','host':'10.0.0.1','port':8080,'priority':1}", B),
                v("backends[1].priority", "priority 1 is also held by backends[0]" + PRIORITY_CLASH));
    }

    @Test
    void explicitPriorityCollidesWithAnEarlierDefault() {
        // a has none and takes its position, 0; b says 0.
        assertViolations(withBackends(A, b("'priority':0")),
                v("backends[1].priority", "priority 0 is also held by backends[0]" + PRIORITY_CLASH));
    }

    @Test
    void explicitPrioritiesMayReorderTheDefaults() {
        Topology t = assertValid(withBackends("{'id':'a','host':'10.0.0.1','port':8080,'priority':7}", B));
        assertEquals(7, t.backends().get(0).priority());
        assertEquals(1, t.backends().get(1).priority());
    }

    // ---------------------------------------------------------------- hosts and fqdn

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.300", "bad_host", "-x.com", "x-.com", "a..b", "10.0.0", "1.2.3.4:80", "[::1", "gg::1", ""})
    void malformedBackendHost(String host) {
        assertViolations(withBackends(A, "{'id':'b','host':'" + host + "','port':8080}"), v("backends[1].host", HOST_MESSAGE));
    }

    @ParameterizedTest
    @ValueSource(strings = {"2001:db8::1", "[2001:db8::1]", "fe80::1", "db-1.example.com", "db1", "10.0.0.255", "1.example.com"})
    void validBackendHostAccepted(String host) {
        Topology t = assertValid(withBackends(A, "{'id':'b','host':'" + host + "','port':8080}"));
        assertEquals(host, t.backends().get(1).host());
    }

    @Test
    void missingBackendHost() {
        assertViolations(withBackends(A, "{'id':'b','port':8080}"), v("backends[1].host", "must not be null"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"not a name", "localhost", "ds.example.123", "-ds.example.com", "ds..example.com", ""})
    void malformedFqdn(String fqdn) {
        assertViolations(json("{'fqdn':'" + fqdn + "','backends':[" + A + "," + B + "]}"), v("fqdn", FQDN_MESSAGE));
    }

    @Test
    void passthroughWithoutFqdn() {
        assertViolations(json("{'tlsMode':'PASSTHROUGH','backends':[" + A + "," + B + "]}"),
                v("fqdn", "is required when tlsMode is PASSTHROUGH: the proxy routes connections by the SNI name"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.5", "2001:db8::5"})
    void passthroughWithAnIpAddressAsFqdn(String ip) {
        assertViolations(json("{'tlsMode':'PASSTHROUGH','fqdn':'" + ip + "','backends':[" + A + "," + B + "]}"), v("fqdn", FQDN_MESSAGE));
    }

    @Test
    void passthroughWithFqdnIsValid() {
        Topology t = assertValid(json("{'tlsMode':'PASSTHROUGH','fqdn':'ds.example.com','backends':[" + A + "," + B + "]}"));
        assertEquals("ds.example.com", t.fqdn());
    }

    // ---------------------------------------------------------------- health checks

    @ParameterizedTest
    @ValueSource(ints = {1000, 1500})
    void timeoutNotBelowInterval(int timeoutMs) {
        assertViolations(withBackends(A, bWithCheck("{'intervalMs':1000,'timeoutMs':" + timeoutMs + "}")),
                v("backends[1].healthCheck.timeoutMs", "must be less than intervalMs (1000)"));
    }

    @Test
    void defaultTimeoutAgainstAShortInterval() {
        // interval 400 with the default timeout 500.
        assertViolations(withBackends(A, bWithCheck("{'intervalMs':400}")),
                v("backends[1].healthCheck.timeoutMs", "must be less than intervalMs (400)"));
    }

    @Test
    void intervalTooLong() {
        assertViolations(withBackends(A, bWithCheck("{'intervalMs':3600001}")),
                v("backends[1].healthCheck.intervalMs", "must be between 100 and 3600000"));
    }

    @Test
    void intervalTooShortAlsoFallsBelowTheDefaultTimeout() {
        // Both are true: 99 is out of range, and the default timeout (500) is not below it.
        assertViolations(withBackends(A, bWithCheck("{'intervalMs':99}")),
                v("backends[1].healthCheck.intervalMs", "must be between 100 and 3600000"),
                v("backends[1].healthCheck.timeoutMs", "must be less than intervalMs (99)"));
    }

    @ParameterizedTest
    @ValueSource(ints = {9, 600001})
    void timeoutOutOfRange(int timeoutMs) {
        assertViolations(withBackends(A, bWithCheck("{'intervalMs':3600000,'timeoutMs':" + timeoutMs + "}")),
                v("backends[1].healthCheck.timeoutMs", "must be between 10 and 600000"));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 101})
    void riseOutOfRange(int rise) {
        assertViolations(withBackends(A, bWithCheck("{'rise':" + rise + "}")),
                v("backends[1].healthCheck.rise", "must be between 1 and 100"));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 101})
    void fallOutOfRange(int fall) {
        assertViolations(withBackends(A, bWithCheck("{'fall':" + fall + "}")),
                v("backends[1].healthCheck.fall", "must be between 1 and 100"));
    }

    @ParameterizedTest
    @ValueSource(ints = {99, 600})
    void expectStatusOutOfRange(int status) {
        assertViolations(withBackends(A, bWithCheck("{'expectStatus':" + status + "}")),
                v("backends[1].healthCheck.expectStatus", "must be an HTTP status between 100 and 599"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"health", "/a b", ""})
    void pathMustStartWithSlash(String path) {
        assertViolations(withBackends(A, bWithCheck("{'path':'" + path + "'}")),
                v("backends[1].healthCheck.path", "must start with '/' and contain no spaces"));
    }

    @Test
    void pathGivenForTcpCheck() {
        assertViolations(withBackends(A, bWithCheck("{'type':'TCP','path':'/health'}")),
                v("backends[1].healthCheck.path", ONLY_HTTP_TCP));
    }

    @Test
    void expectStatusGivenForTcpCheck() {
        assertViolations(withBackends(A, bWithCheck("{'type':'TCP','expectStatus':200}")),
                v("backends[1].healthCheck.expectStatus", ONLY_HTTP_TCP));
    }

    @Test
    void pathAndExpectStatusGivenForTlsCheck() {
        assertViolations(withBackends(A, bWithCheck("{'type':'TLS','path':'/health','expectStatus':200}")),
                v("backends[1].healthCheck.expectStatus", "only applies to HTTP health checks; this one is TLS"),
                v("backends[1].healthCheck.path", "only applies to HTTP health checks; this one is TLS"));
    }

    @Test
    void httpOnlyAnswerChecksAndTlsGivenForATcpCheck() {
        assertViolations(withBackends(A, bWithCheck("{'type':'TCP','expectBody':'ok','expectJson':{'pointer':'/status','value':'UP'},'tls':true}")),
                v("backends[1].healthCheck.expectBody", ONLY_HTTP_TCP),
                v("backends[1].healthCheck.expectJson", ONLY_HTTP_TCP),
                v("backends[1].healthCheck.tls", "only applies to HTTP health checks (a TLS check always speaks TLS); this one is TCP"));
    }

    @Test
    void fastAndDownIntervalsDefaultFromTheIntervalAndMustFrameIt() {
        Topology t = assertValid(withBackends(A, bWithCheck("{'intervalMs':2000,'timeoutMs':500}")));
        assertEquals(500, t.backends().get(1).healthCheck().fastIntervalMs());
        assertEquals(4000, t.backends().get(1).healthCheck().downIntervalMs());
        assertViolations(withBackends(A, bWithCheck("{'intervalMs':2000,'timeoutMs':500,'fastIntervalMs':3000,'downIntervalMs':1000}")),
                v("backends[1].healthCheck.downIntervalMs", "must not be less than intervalMs (2000)"),
                v("backends[1].healthCheck.fastIntervalMs", "must not be more than intervalMs (2000)"));
    }

    @Test
    void aBadJsonExpectationNamesItsFields() {
        assertViolations(withBackends(A, bWithCheck("{'expectJson':{'pointer':'status'}}")),
                v("backends[1].healthCheck.expectJson.pointer", "must be a JSON pointer such as /status"),
                v("backends[1].healthCheck.expectJson.value", "must not be null"));
    }

    @Test
    void freshnessTakesDefaultsAndListsEveryProblem() {
        Topology t = assertValid(json("{'freshness':{'path':'/status','pointer':'/ingest/lastRecordTime'},'backends':[" + A + "," + B + "]}"));
        assertEquals(30_000L, t.freshness().maxLag());
        assertEquals(10_000L, t.freshness().failoverHoldMs());
        assertViolations(json("{'freshness':{'path':'status','pointer':'x','kind':'COUNTER','intervalMs':500,'timeoutMs':500},'backends':["
                        + A + "," + B + "]}"),
                v("freshness.maxLag", "must not be null"),
                v("freshness.path", "must start with '/' and contain no spaces"),
                v("freshness.pointer", "must be a JSON pointer such as /ingest/lastRecordTime"),
                v("freshness.timeoutMs", "must be less than intervalMs (500)"));
    }

    // ---------------------------------------------------------------- ingest routes

    private static final String ROUTE = "{'method':'POST','pathPrefix':'/api/records'}";

    @Test
    void ingestTakesDefaults() {
        Topology t = assertValid(json("{'ingest':{'routes':[" + ROUTE + "]},'backends':[" + A + "," + B + "]}"));
        assertEquals(IngestAck.ONE, t.ingest().ack());
        assertEquals("Idempotency-Key", t.ingest().idempotencyHeader());
        assertEquals(256L << 20, t.ingest().journal().maxBytes());
        assertEquals(5000, t.ingest().timeoutMs());
        assertEquals(1 << 20, t.ingest().maxRecordBytes());
        assertNull(assertValid(BASELINE).ingest(), "no ingest section: no ingest routes");
    }

    @Test
    void ingestInPassthroughIsRefused() {
        assertViolations(json("{'tlsMode':'PASSTHROUGH','fqdn':'ds.example.com','ingest':{'routes':[" + ROUTE + "]},'backends':["
                        + A + "," + B + "]}"),
                v("ingest", "needs tlsMode TERMINATE: in PASSTHROUGH the proxy relays TLS bytes and cannot see which requests carry records"));
    }

    @Test
    void theSameRouteTwiceIsRefusedAtTheSecond() {
        assertViolations(json("{'ingest':{'routes':[" + ROUTE + ",{'method':'PUT','pathPrefix':'/api/records'}," + ROUTE + "," + ROUTE
                        + "]},'backends':[" + A + "," + B + "]}"),
                v("ingest.routes[2]", "POST /api/records is also ingest.routes[0]; each route once"),
                v("ingest.routes[3]", "POST /api/records is also ingest.routes[0]; each route once"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Content-Length", "transfer-encoding", "Connection", "HOST", "Upgrade", "TE", "Keep-Alive",
        "Proxy-Connection", "Trailer"})
    void aFramingOrHopByHopHeaderCannotCarryTheIdempotencyKey(String header) {
        assertViolations(json("{'ingest':{'routes':[" + ROUTE + "],'idempotencyHeader':'" + header + "'},'backends':[" + A + "," + B + "]}"),
                v("ingest.idempotencyHeader", "'" + header + "' frames the message or concerns one hop, and the proxy rewrites it; "
                        + "name a header of its own, such as Idempotency-Key"));
    }

    @Test
    void everyIngestProblemIsListedAtOnce() {
        assertViolations(json("{'tlsMode':'PASSTHROUGH','fqdn':'ds.example.com','ingest':{'routes':[" + ROUTE + "," + ROUTE
                        + ",{'method':'GET','pathPrefix':'records'}],'idempotencyHeader':'Host','timeoutMs':50},'backends':[" + A + "," + B + "]}"),
                v("ingest", "needs tlsMode TERMINATE: in PASSTHROUGH the proxy relays TLS bytes and cannot see which requests carry records"),
                v("ingest.idempotencyHeader", "'Host' frames the message or concerns one hop, and the proxy rewrites it; "
                        + "name a header of its own, such as Idempotency-Key"),
                v("ingest.routes[1]", "POST /api/records is also ingest.routes[0]; each route once"),
                v("ingest.routes[2].method", "must be POST, PUT or PATCH"),
                v("ingest.routes[2].pathPrefix", "must start with '/' and contain no spaces, '?' or '#'"),
                v("ingest.timeoutMs", "must be between 100 and 60000"));
    }

    @Test
    void explicitNullTakesTheDefault() {
        // "type": null is treated like "type" left out: the constructor defaults it to HTTP.
        Topology t = assertValid(withBackends(A, bWithCheck("{'type':null}")));
        assertEquals(HealthCheckType.HTTP, t.backends().get(1).healthCheck().type());
    }

    // ---------------------------------------------------------------- loops through the proxy

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "localhost", "LOCALHOST", "127.1.2.3", "::1", "0.0.0.0"})
    void backendPointingAtTheProxysOwnListener(String host) {
        String address = (host.contains(":") ? "[" + host + "]" : host) + ":8443";
        assertViolations(withBackends(A, "{'id':'b','host':'" + host + "','port':8443}"),
                v("backends[1]", "address " + address + " is the proxy's own listener 0.0.0.0:8443; traffic would loop"));
    }

    @Test
    void backendOnTheListenerPortOfAnotherMachineIsNoLoop() {
        assertValid(withBackends(A, "{'id':'b','host':'10.0.0.2','port':8443}"));
    }

    @Test
    void loopbackBackendOnAnotherPortIsNoLoop() {
        assertValid(withBackends(A, "{'id':'b','host':'127.0.0.1','port':8080}"));
    }

    @Test
    void backendAtTheListenersSpecificAddress() {
        assertViolations(json("{'listener':{'host':'10.0.0.9','port':9000},'backends':[" + A + ",{'id':'b','host':'10.0.0.9','port':9000}]}"),
                v("backends[1]", "address 10.0.0.9:9000 is the proxy's own listener 10.0.0.9:9000; traffic would loop"));
    }

    @Test
    void loopbackBackendWithAListenerOnAnotherInterfaceIsNoLoop() {
        assertValid(json("{'listener':{'host':'10.0.0.9','port':9000},'backends':[" + A + ",{'id':'b','host':'127.0.0.1','port':9000}]}"));
    }

    // ---------------------------------------------------------------- binding problems

    @Test
    void unknownFieldIsReported() {
        // "prot" for "port": the typo is reported, and so is the port it left out.
        assertViolations(withBackends(A, "{'id':'b','host':'10.0.0.2','prot':8080}"),
                v("backends[1].port", "must not be null"),
                v("backends[1].prot", "unknown field; did you mean `port`?"));
    }

    @Test
    void unknownTopLevelFieldWithAListValue() {
        assertViolations(json("{'backendz':[" + A + "," + B + "]}"),
                v("backends", "must list at least one backend"),
                v("backendz", "unknown field; did you mean `backends`?"));
    }

    @Test
    void unknownFieldsInNestedObjects() {
        assertViolations(json("{'listener':{'port':8443,'bind':{'x':1}},'backends':[" + A + "," + bWithCheck("{'intervall':[1000]}") + "]}"),
                v("backends[1].healthCheck.intervall", "unknown field; did you mean `intervalMs`?"),
                v("listener.bind", "unknown field"));
    }

    @Test
    void portThatIsNotANumber() {
        // Only the binding problem: "must not be null" for the port it could not read would repeat it.
        assertViolations(withBackends(A, "{'id':'b','host':'10.0.0.2','port':'abc'}"), v("backends[1].port", "must be a whole number"));
    }

    @Test
    void portThatIsAList() {
        assertViolations(withBackends(A, "{'id':'b','host':'10.0.0.2','port':[8080]}"), v("backends[1].port", "must be a whole number"));
    }

    @Test
    void portThatIsAFraction() {
        assertViolations(withBackends(A, "{'id':'b','host':'10.0.0.2','port':8080.5}"), v("backends[1].port", "must be a whole number"));
    }

    @Test
    void unknownEnumValues() {
        assertViolations(json("{'tlsMode':'passthrough','mode':1,'allDown':'NEVER','failback':{'policy':'SOMETIMES'},'backends':["
                        + A + "," + b("'adminState':'OFF'") + "," + "{'id':'c','host':'10.0.0.3','port':8080,'healthCheck':{'type':'ICMP'}}" + "]}"),
                v("allDown", "must be one of TRY_ALL, FAIL_FAST"),
                v("backends[1].adminState", "must be one of ENABLED, DRAIN, MAINTENANCE"),
                v("backends[2].healthCheck.type", "must be one of HTTP, TCP, TLS"),
                v("failback.policy", "must be one of AUTO, MANUAL"),
                v("mode", "must be one of ACTIVE_PASSIVE, ACTIVE_ACTIVE"),
                v("tlsMode", "must be one of TERMINATE, PASSTHROUGH"));
    }

    @Test
    void wrongStructuralTypes() {
        assertViolations(json("{'listener':[1],'failback':'AUTO','backends':{'a':1}}"),
                v("backends", "must be a list"),
                v("failback", "must be an object"),
                v("listener", "must be an object"));
    }

    @Test
    void failbackDelayOutOfRange() {
        assertViolations(json("{'failback':{'delayMs':-1},'backends':[" + A + "," + B + "]}"),
                v("failback.delayMs", "must be between 0 and 86400000"));
    }

    @Test
    void syntaxErrorIsReportedWithLineAndColumn() {
        String text = json("""
                {
                  'backends': [
                    {'id': 'a', 'host': '10.0.0.1', 'port': 8080,}
                  ]
                }
                """);
        TopologyValidator.Checked<Topology> checked = parse(text);
        assertEquals(List.of(new Violation(null, "a ',' before '}' is not allowed in JSON", 3, 50)), checked.violations());
        assertNull(checked.value());
    }

    @Test
    void emptyDocument() {
        assertViolations("", v(null, "the document is empty"));
        assertViolations("  \n ", v(null, "the document is empty"));
        assertViolations("null", v(null, "the document is empty or null"));
    }

    @Test
    void documentThatIsNotAnObject() {
        assertViolations("[]", v(null, "must be an object"));
    }

    @Test
    void trailingContentAfterTheDocument() {
        assertEquals(List.of(v(null, "unexpected content after the end of the document").at(1, BASELINE.length() + 2)),
                parse(BASELINE + " {}").violations());
    }

    // ---------------------------------------------------------------- YAML

    @Test
    void yamlIsParsedLikeJson() {
        String yaml = """
                # the baseline, in YAML
                backends:
                  - id: a
                    host: 10.0.0.1
                    port: 8080
                  - id: b
                    host: 10.0.0.2
                    port: 8080
                """;
        TopologyValidator.Checked<Topology> fromYaml = validator.parse(yaml, true);
        assertEquals(List.of(), fromYaml.violations());
        assertEquals(assertValid(BASELINE), fromYaml.value());
        // JSON is YAML too.
        assertEquals(assertValid(BASELINE), validator.parse(BASELINE, true).value());
    }

    private static final String PROBLEMS_YAML = """
            tlsMode: PASSTHROUGH
            backends:
              - id: a
                host: 10.0.0.1
                port: abc
              - id: a
                host: bad_host
                prot: 8080
                healthCheck:
                  type: TCP
                  path: /health
            """;

    @Test
    void yamlProblemsAreTheSameAsJsonProblems() {
        String jsonText = json("{'tlsMode':'PASSTHROUGH','backends':[{'id':'a','host':'10.0.0.1','port':'abc'},"
                + "{'id':'a','host':'bad_host','prot':8080,'healthCheck':{'type':'TCP','path':'/health'}}]}");
        List<Violation> expected = List.of(
                v("backends[0].port", "must be a whole number"),
                v("backends[1].healthCheck.path", ONLY_HTTP_TCP),
                v("backends[1].host", HOST_MESSAGE),
                v("backends[1].id", "'a' is also the id of backends[0]; ids must be unique"),
                v("backends[1].port", "must not be null"),
                v("backends[1].prot", "unknown field; did you mean `port`?"),
                v("fqdn", "is required when tlsMode is PASSTHROUGH: the proxy routes connections by the SNI name"));
        assertEquals(expected, unplaced(validator.parse(PROBLEMS_YAML, true).violations()));
        assertEquals(expected, unplaced(parse(jsonText).violations()));
    }

    @Test
    void violationsArePlacedAtTheirField() {
        assertEquals(List.of(
                v("backends[0].port", "must be a whole number").at(5, 5),
                v("backends[1].healthCheck.path", ONLY_HTTP_TCP).at(11, 7),
                v("backends[1].host", HOST_MESSAGE).at(7, 5),
                v("backends[1].id", "'a' is also the id of backends[0]; ids must be unique").at(6, 5),
                // Not in the file: placed at the backend that lacks it.
                v("backends[1].port", "must not be null").at(6, 5),
                v("backends[1].prot", "unknown field; did you mean `port`?").at(8, 5),
                // Nothing holds it but the document: no place.
                v("fqdn", "is required when tlsMode is PASSTHROUGH: the proxy routes connections by the SNI name")),
                validator.parse(PROBLEMS_YAML, true).violations());
    }

    @Test
    void yamlSyntaxErrorIsReportedWithLineAndColumn() {
        String yaml = """
                backends:
                  - id: a
                   host: 10.0.0.1
                """;
        // Only the syntax error: no "backends: must list at least one backend" after it.
        assertEquals(List.of(new Violation(null,
                        "this line is indented differently from the keys above it; keys of one object must start in the same column", 3, 4)),
                validator.parse(yaml, true).violations());
    }

    // ---------------------------------------------------------------- everything at once

    @Test
    void everyProblemIsListedAtOnce() {
        String text = json("""
                {
                 'tlsMode': 'PASSTHROUGH',
                 'failback': {'policy': 'SOMETIMES', 'delayMs': -1},
                 'colour': 'blue',
                 'backends': [
                   {'id': 'a', 'host': '10.0.0.1', 'port': 8080, 'priority': 1},
                   {'id': 'a', 'host': '10.0.0.1', 'port': 8080, 'weight': 0},
                   {'id': 'Bad!', 'host': 'bad_host', 'port': 'abc', 'healthCheck': {'type': 'TCP', 'path': '/x', 'intervalMs': 500, 'timeoutMs': 500}},
                   null,
                   {'id': 'loop', 'host': 'localhost', 'port': 8443, 'healthCheck': {'rise': 0, 'expectStatus': 700}}
                 ]
                }
                """);
        assertViolations(text,
                v("backends[1]", "address 10.0.0.1:8080 is also the address of backends[0]; each backend is a distinct instance"),
                v("backends[1].id", "'a' is also the id of backends[0]; ids must be unique"),
                v("backends[1].priority", "priority 1 is also held by backends[0]" + PRIORITY_CLASH),
                v("backends[1].weight", "must be between 1 and 256"),
                v("backends[2].healthCheck.path", ONLY_HTTP_TCP),
                v("backends[2].healthCheck.timeoutMs", "must be less than intervalMs (500)"),
                v("backends[2].host", HOST_MESSAGE),
                v("backends[2].id", ID_MESSAGE),
                v("backends[2].port", "must be a whole number"),
                v("backends[3]", "must not be null"),
                v("backends[4]", "address localhost:8443 is the proxy's own listener 0.0.0.0:8443; traffic would loop"),
                v("backends[4].healthCheck.expectStatus", "must be an HTTP status between 100 and 599"),
                v("backends[4].healthCheck.rise", "must be between 1 and 100"),
                v("colour", "unknown field"),
                v("failback.delayMs", "must be between 0 and 86400000"),
                v("failback.policy", "must be one of AUTO, MANUAL"),
                v("fqdn", "is required when tlsMode is PASSTHROUGH: the proxy routes connections by the SNI name"));
    }

    @Test
    void sameInputListsTheSameWay() {
        String text = withBackends(A, A, "{'id':'Bad!','host':'-x','port':0}");
        assertEquals(parse(text).violations(), parse(text).violations());
    }

    // ---------------------------------------------------------------- validate() on a built value

    @Test
    void validateAnAlreadyBuiltTopology() {
        Topology t = assertValid(BASELINE);
        assertEquals(List.of(), validator.validate(t));
        Topology clash = t.withBackends(List.of(t.backends().get(0), t.backends().get(1).withId("a")));
        assertEquals(List.of(v("backends[1].id", "'a' is also the id of backends[0]; ids must be unique")), validator.validate(clash));
    }
}
