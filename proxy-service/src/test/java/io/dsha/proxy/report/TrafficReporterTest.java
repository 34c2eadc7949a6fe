package io.dsha.proxy.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dsha.api.traffic.BackendTraffic;
import io.dsha.api.traffic.ProxyInfo;
import io.dsha.api.traffic.TrafficReport;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TrafficReporterTest {

    private final Map<String, Double> totals = new HashMap<>();
    private final AtomicLong nanos = new AtomicLong();
    private final ProxyInfo self = new ProxyInfo("edge-1", "https://0.0.0.0:8443", true, false);
    private final TrafficReporter reporter = new TrafficReporter(null, "proxy-1", () -> totals, nanos::get, () -> self);

    @Test
    void eachReportIsTheRatePerBackendOverItsOwnWindow() {
        totals.put("a", 100.0);
        reporter.next(); // the first window starts here
        totals.put("a", 150.0);
        totals.put("b", 4.0);
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());

        assertEquals(new TrafficReport("proxy-1", List.of(new BackendTraffic("a", 25.0), new BackendTraffic("b", 2.0)), self), reporter.next());

        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        assertEquals(new TrafficReport("proxy-1", List.of(new BackendTraffic("a", 0.0), new BackendTraffic("b", 0.0)), self), reporter.next(),
                "nothing served since the previous report");
    }
}
