package io.dsha.controlplane.api;

import static io.dsha.controlplane.api.ApiFixture.admin;
import static io.dsha.controlplane.api.ApiFixture.agent;
import static io.dsha.controlplane.api.ApiFixture.topologyRevision;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.testkit.Tmpfs;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The control plane on a disk that fills up (a real tmpfs, {@link FullDisk}): a change it cannot
 * store is refused with a problem and changes nothing, readiness turns DOWN naming the file and the
 * error, the failure is counted, and all is well again once a change is written.
 */
@QuarkusTest
@WithTestResource(FullDisk.class)
class StateWriteFailureTest {

    private static final Pattern FAILURES = Pattern.compile("(?m)^dsha_controlplane_store_write_failures_total(?:\\{[^}]*\\})? (\\S+)$");

    /** Forty backends: the change's journal record is larger than a page, so it needs a block the full disk does not have. */
    private static String large(ApiFixture f) {
        return IntStream.range(0, 40)
                .mapToObj(i -> "{\"id\": \"%s-%d\", \"host\": \"10.2.0.%d\", \"port\": %d}".formatted(f.a, i, i, 9000 + i))
                .collect(Collectors.joining(",\n", "{\"mode\": \"ACTIVE_ACTIVE\", \"backends\": [", "]}"));
    }

    private static double failures() {
        Matcher m = FAILURES.matcher(given().get("/q/metrics").then().statusCode(200).extract().asString());
        assertTrue(m.find(), "dsha_controlplane_store_write_failures_total in /q/metrics");
        return Double.parseDouble(m.group(1));
    }

    @Test
    void aFullDiskRefusesTheChangeTurnsReadinessDownAndAWrittenChangeTurnsItUp() throws Exception {
        Tmpfs.requireRoot();
        ApiFixture f = new ApiFixture();
        f.declare();
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'state' }.data.stateFile", equalTo(FullDisk.stateDir().resolve("state.json").toString()))
                .body("checks.find { it.name == 'state' }.data.writeFailure", nullValue());
        long revision = agent().get("/api/v1/state").then().extract().jsonPath().getLong("revision");
        long topologyRevision = topologyRevision();
        String topology = admin().get("/api/v1/topology").asString();
        double failuresBefore = failures();

        FullDisk.disk.fill();
        try {
            admin().contentType(ContentType.JSON).body(large(f)).put("/api/v1/topology").then()
                    .statusCode(503)
                    .contentType("application/problem+json")
                    .body("title", equalTo("State not written"))
                    .body("detail", containsString(FullDisk.stateDir().resolve("state.journal") + " could not be written; the change was not applied"))
                    .body("detail", containsString("No space left on device"));

            assertEquals(revision, agent().get("/api/v1/state").then().extract().jsonPath().getLong("revision"), "nothing was applied");
            assertEquals(topologyRevision, topologyRevision());
            assertEquals(topology, admin().get("/api/v1/topology").asString());
            given().get("/q/health/ready").then().statusCode(503)
                    .body("status", equalTo("DOWN"))
                    .body("checks.find { it.name == 'state' }.status", equalTo("DOWN"))
                    .body("checks.find { it.name == 'state' }.data.writeFailure",
                            equalTo(FullDisk.stateDir().resolve("state.journal") + ": java.io.IOException: No space left on device"));
            assertEquals(failuresBefore + 1, failures(), "the failed write is counted");
        } finally {
            FullDisk.disk.free();
        }

        admin().contentType(ContentType.JSON).body(large(f)).put("/api/v1/topology").then().statusCode(200);

        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'state' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'state' }.data.writeFailure", nullValue());
        assertEquals(failuresBefore + 1, failures(), "a counter: it stays");
    }
}
