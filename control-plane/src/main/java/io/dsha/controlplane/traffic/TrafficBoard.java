package io.dsha.controlplane.traffic;

import static java.util.Objects.requireNonNull;

import io.dsha.api.traffic.BackendTraffic;
import io.dsha.api.traffic.IngestBacklog;
import io.dsha.api.traffic.Proxies;
import io.dsha.api.traffic.ProxyInfo;
import io.dsha.api.traffic.ProxyStatus;
import io.dsha.api.traffic.Traffic;
import io.dsha.api.traffic.TrafficReport;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest request rates the proxies reported, per proxy, for the status page. Kept in memory
 * only and outside the revisioned state: rates change every second and must not wake every watcher.
 * A proxy silent for longer than {@code window} is left out of the sums (it stopped, or lost the
 * control plane); one silent for ten windows is forgotten when the next report comes.
 *
 * <p>With ingest routes, each report also carries the proxy's {@link IngestBacklog} per backend: shown per proxy and
 * summed over the proxies heard within the window, and read by the decision engine (a backend still being replayed
 * to is missing records) and by {@link IngestWatch} (its events).
 */
public final class TrafficBoard {

    private static final int FORGET_AFTER_WINDOWS = 10;

    private record Sample(Instant at, Map<String, Double> rates, ProxyInfo info, Map<String, IngestBacklog> ingest) {
        double total() {
            return rates.values().stream().mapToDouble(Double::doubleValue).sum();
        }
    }

    private final Clock clock;
    private final Duration window;
    private final Map<String, Sample> byProxy = new ConcurrentHashMap<>();

    public TrafficBoard(Clock clock, Duration window) {
        this.clock = requireNonNull(clock, "clock");
        this.window = requireNonNull(window, "window");
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("window: " + window + " (expected: positive)");
        }
    }

    /** Replaces what {@code report}'s proxy said before. */
    public void record(TrafficReport report) {
        Map<String, Double> rates = new LinkedHashMap<>();
        Map<String, IngestBacklog> ingest = new LinkedHashMap<>();
        report.backends().forEach(b -> {
            rates.merge(b.backendId(), b.requestsPerSecond(), Double::sum);
            if (b.ingest() != null) {
                ingest.merge(b.backendId(), b.ingest(), IngestBacklog::plus);
            }
        });
        Instant now = clock.instant();
        byProxy.put(report.reporterId(), new Sample(now, Map.copyOf(rates), report.proxy(), java.util.Collections.unmodifiableMap(ingest)));
        byProxy.entrySet().removeIf(e -> e.getValue().at().isBefore(now.minus(window.multipliedBy(FORGET_AFTER_WINDOWS))));
    }

    /**
     * The sum per backend over the proxies heard from within the window, for the backends in {@code backendIds} (in that
     * order): requests per second, and the ingest backlog (null for a backend no such proxy reports one for).
     */
    public Traffic view(List<String> backendIds) {
        Instant now = clock.instant();
        Instant since = now.minus(window);
        Map<String, Double> sums = new LinkedHashMap<>();
        Map<String, IngestBacklog> backlogs = new HashMap<>();
        backendIds.forEach(id -> sums.put(id, 0.0));
        List<String> proxies = new ArrayList<>();
        new TreeMap<>(byProxy).forEach((proxy, sample) -> {
            if (sample.at().isBefore(since)) {
                return;
            }
            proxies.add(proxy);
            sample.rates().forEach((id, rate) -> sums.computeIfPresent(id, (k, sum) -> sum + rate));
            sample.ingest().forEach((id, backlog) -> backlogs.merge(id, backlog, IngestBacklog::plus));
        });
        List<BackendTraffic> backends = new ArrayList<>();
        sums.forEach((id, sum) -> backends.add(new BackendTraffic(id, Math.round(sum * 10) / 10.0, backlogs.get(id))));
        return new Traffic(now, proxies, backends);
    }

    /** One proxy's backlog for one backend as it last reported it; {@code heard}: the report came within the window. */
    public record Held(String proxyId, String backendId, IngestBacklog backlog, boolean heard) {
    }

    /** What every proxy remembered last reported on its ingest routes, per backend: by backend id, then proxy id. */
    public List<Held> ingest() {
        Instant since = clock.instant().minus(window);
        List<Held> all = new ArrayList<>();
        byProxy.forEach((proxy, sample) -> sample.ingest().forEach((id, backlog) ->
                all.add(new Held(proxy, id, backlog, !sample.at().isBefore(since)))));
        all.sort(java.util.Comparator.comparing(Held::backendId).thenComparing(Held::proxyId));
        return all;
    }

    /** Records not yet delivered to {@code backendId}, summed over the proxies heard from within the window. */
    public long backlogRecords(String backendId) {
        Instant since = clock.instant().minus(window);
        long sum = 0;
        for (Sample sample : byProxy.values()) {
            IngestBacklog b = sample.ingest().get(backendId);
            if (b != null && !sample.at().isBefore(since)) {
                sum += b.records();
            }
        }
        return sum;
    }

    /**
     * Every proxy remembered (heard within ten windows), by id: what it said of itself, its total rate, whether it was
     * heard within the window, and its ingest backlog per backend. Proxies that send no {@link ProxyInfo} are listed
     * with null details.
     */
    public Proxies proxies() {
        Instant now = clock.instant();
        Instant since = now.minus(window);
        List<ProxyStatus> all = new ArrayList<>();
        new TreeMap<>(byProxy).forEach((id, sample) -> {
            all.add(ProxyStatus.of(id, sample.info(), Math.round(sample.total() * 10) / 10.0, sample.at(), !sample.at().isBefore(since),
                    sample.ingest()));
        });
        return new Proxies(now, all);
    }
}
