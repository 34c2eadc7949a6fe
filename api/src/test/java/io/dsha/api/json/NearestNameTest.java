package io.dsha.api.json;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which known field an unknown one is taken for, and when none is close enough. */
class NearestNameTest {

    private static final List<String> BACKEND = List.of("id", "host", "port", "priority", "weight", "adminState", "healthCheck");
    private static final List<String> HEALTH_CHECK = List.of("type", "path", "expectStatus", "intervalMs", "timeoutMs", "rise", "fall", "tls");

    @ParameterizedTest
    @CsvSource({
            "heathCheck, healthCheck",   // a letter left out
            "healthChek, healthCheck",
            "heathChek, healthCheck",    // two
            "Priority, priority",        // case
            "HEALTHCHECK, healthCheck",
            "prot, port",                // two neighbours swapped: one edit
            "wieght, weight",
            "hots, host",
            "adminstate, adminState",
            "ports, port",
            "portNumber, port",          // a known field starts it
    })
    void backendField(String unknown, String expected) {
        assertEquals(Optional.of(expected), NearestName.of(unknown, BACKEND));
    }

    @ParameterizedTest
    @CsvSource({
            "interval, intervalMs",      // it starts a known field
            "timoutMs, timeoutMs",
            "typo, type",
            "expectedStatus, expectStatus",
    })
    void healthCheckField(String unknown, String expected) {
        assertEquals(Optional.of(expected), NearestName.of(unknown, HEALTH_CHECK));
    }

    @ParameterizedTest
    @CsvSource({"x", "xyz", "colour", "address", "ip", "last", "po"})
    void nothingCloseEnough(String unknown) {
        assertEquals(Optional.empty(), NearestName.of(unknown, BACKEND));
    }

    @ParameterizedTest
    @CsvSource({"ab, ba, 1", "abc, abc, 0", "kitten, sitting, 3", "heathCheck, healthCheck, 1", "ca, abc, 3"})
    void distance(String a, String b, int expected) {
        assertEquals(expected, NearestName.distance(a, b));
    }
}
