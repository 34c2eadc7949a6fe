package io.dsha.proxy;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/**
 * The proxy in-process, started from its saved routing decision while the control plane is away: it
 * is ready, serves from the saved decision, and shows it in its readiness and metrics.
 * {@link ProxyServiceIT} runs these again against the packaged artifact: HTTP only, no beans.
 */
@QuarkusTest
@QuarkusTestResource(SavedRouting.class)
class ProxyServiceTest {

    @Test
    void readyFromTheSavedDecisionWhileTheControlPlaneIsAway() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks[0].name", equalTo("routing"))
                .body("checks[0].data.controlPlane", equalTo("unreachable"))
                .body("checks[0].data.revision", equalTo((int) SavedRouting.REVISION))
                .body("checks[0].data.active", equalTo("a"))
                .body("checks[0].data.listener", startsWith("http://127.0.0.1:"));
        given().get("/q/health/live").then().statusCode(200);
    }

    @Test
    void proxiesToTheActiveBackend() {
        String listener = given().get("/q/health/ready").then().statusCode(200)
                .extract().jsonPath().getString("checks[0].data.listener");
        given().get(listener + "/api/info").then().statusCode(200)
                .header("X-DataStack-Instance", "a")
                .body(equalTo(SavedRouting.ANSWER));
        given().get(listener + "/api/info").then().statusCode(200).body(equalTo(SavedRouting.ANSWER));
    }

    @Test
    void exposesItsMetrics() {
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("dsha_proxy_routing_revision " + (double) SavedRouting.REVISION))
                .body(containsString("dsha_proxy_active_backend{backend=\"a\"} 1.0"));
    }
}
