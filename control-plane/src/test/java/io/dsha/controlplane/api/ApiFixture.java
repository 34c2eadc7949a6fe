package io.dsha.controlplane.api;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Shared moves of the API tests. Every test declares backends with ids and ports of its own, so
 * verdicts and routing memory left by another test never leak into it.
 */
final class ApiFixture {

    static final String ADMIN = "test-admin-token-0123456789";
    static final String AGENT = "test-agent-token-0123456789";
    private static final AtomicInteger SEQ = new AtomicInteger();

    final String a;
    final String b;
    final int portA;
    final int portB;

    ApiFixture() {
        int n = SEQ.incrementAndGet();
        a = "a" + n;
        b = "b" + n;
        portA = 20_000 + 2 * n;
        portB = portA + 1;
    }

    static RequestSpecification admin() {
        return given().auth().oauth2(ADMIN);
    }

    static RequestSpecification agent() {
        return given().auth().oauth2(AGENT);
    }

    String topology(String mode, String failbackPolicy, long delayMs) {
        return """
                {"mode": "%s", "failback": {"policy": "%s", "delayMs": %d},
                 "backends": [
                   {"id": "%s", "host": "10.1.0.1", "port": %d, "priority": 0},
                   {"id": "%s", "host": "10.1.0.2", "port": %d, "priority": 1}
                 ]}
                """.formatted(mode, failbackPolicy, delayMs, a, portA, b, portB);
    }

    /** Declares this fixture's two backends; returns the new topology revision. */
    long declare(String mode, String failbackPolicy, long delayMs) {
        return admin().contentType(ContentType.JSON).body(topology(mode, failbackPolicy, delayMs))
                .put("/api/v1/topology")
                .then().statusCode(200)
                .extract().jsonPath().getLong("topologyRevision");
    }

    long declare() {
        return declare("ACTIVE_PASSIVE", "AUTO", 30_000);
    }

    static ValidatableResponse report(String checker, String backend, String status) {
        return agent().contentType(ContentType.JSON)
                .body("""
                        {"source": "CHECKER", "reporterId": "%s",
                         "observations": [{"backendId": "%s", "status": "%s", "latencyMs": 2}]}
                        """.formatted(checker, backend, status))
                .post("/api/v1/reports")
                .then().statusCode(202);
    }

    /**
     * What a checker sends once its rise/fall is met: the probe's result and its view, both {@code status}. One
     * report moves the verdict: the control plane does not count rise/fall again.
     */
    static void settle(String checker, String backend, String status) {
        agent().contentType(ContentType.JSON)
                .body("""
                        {"source": "CHECKER", "reporterId": "%s",
                         "observations": [{"backendId": "%s", "status": "%s", "health": "%s", "latencyMs": 2}]}
                        """.formatted(checker, backend, status, status))
                .post("/api/v1/reports")
                .then().statusCode(202);
    }

    static long topologyRevision() {
        return agent().get("/api/v1/state").then().statusCode(200).extract().jsonPath().getLong("topologyRevision");
    }
}
