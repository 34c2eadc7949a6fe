package io.dsha.health;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/**
 * The service in-process, its control plane away. {@link HealthServiceIT} runs these again against
 * the packaged artifact: HTTP only, no beans.
 */
@QuarkusTest
@QuarkusTestResource(ControlPlaneAway.class)
class HealthServiceTest {

    @Test
    void notReadyWhileTheControlPlaneIsAwayButAlive() {
        given().when().get("/q/health/ready").then().statusCode(503)
                .body("checks[0].name", equalTo("control-plane"))
                .body("checks[0].data.checkerId", equalTo(ControlPlaneAway.CHECKER_ID))
                .body("checks[0].data.topology", equalTo(false));
        given().when().get("/q/health/live").then().statusCode(200);
    }

    @Test
    void exposesItsMetrics() {
        given().when().get("/q/metrics").then().statusCode(200)
                .body(containsString("dsha_health_pending_observations"))
                .body(containsString("dsha_health_reports_total"))
                .body(containsString("dsha_health_observations_dropped_total"));
    }
}
