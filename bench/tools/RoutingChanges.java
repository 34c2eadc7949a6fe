import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.concurrent.TimeUnit;

/**
 * Makes routing changes on the control plane at a fixed pace and writes, per change, when it was
 * sent and when the control plane accepted it (for bench/propagation.sh). JDK only:
 *
 *   java bench/tools/RoutingChanges.java CP_URL ADMIN_TOKEN BACKEND COUNT INTERVAL_MS OUT.csv
 *
 * Change i sets BACKEND's admin state to DRAIN (i odd) or ENABLED (i even), starting with DRAIN, so
 * each one changes the routing decision (ACTIVE_ACTIVE: active [a, b] <-> [b], draining [a]). The
 * changes are sent at START + i * INTERVAL_MS, one at a time (a change is never sent before the
 * previous answer). CSV columns: i, admin state, HTTP status, revision (X-Dsha-Revision), sent and
 * accepted as epoch microseconds, sent and accepted as microseconds since local midnight (the
 * proxies' log timestamps are local time of day).
 */
public final class RoutingChanges {

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: java RoutingChanges.java CP_URL ADMIN_TOKEN BACKEND COUNT INTERVAL_MS OUT.csv");
            System.exit(2);
        }
        String cp = args[0];
        String token = args[1];
        String backend = args[2];
        int count = Integer.parseInt(args[3]);
        long intervalMs = Long.parseLong(args[4]);
        java.nio.file.Path out = java.nio.file.Path.of(args[5]);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        URI uri = URI.create(cp + "/api/v1/backends/" + backend + "/admin-state");
        ZoneId zone = ZoneId.systemDefault();

        // Warm up the client and the control plane's endpoint with reads (no change).
        for (int i = 0; i < 20; i++) {
            http.send(HttpRequest.newBuilder(URI.create(cp + "/api/v1/topology")).header("Authorization", "Bearer " + token)
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
        }

        StringBuilder csv = new StringBuilder("i,admin_state,status,revision,sent_epoch_us,accepted_epoch_us,sent_tod_us,accepted_tod_us\n");
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(intervalMs);
        int failures = 0;
        for (int i = 1; i <= count; i++) {
            long due = start + TimeUnit.MILLISECONDS.toNanos(intervalMs) * (i - 1);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            String state = i % 2 == 1 ? "DRAIN" : "ENABLED";
            HttpRequest req = HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json").header("X-Dsha-Actor", "bench-propagation")
                    .timeout(Duration.ofSeconds(10))
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"adminState\":\"" + state + "\"}")).build();
            Instant sent = Instant.now();
            HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
            Instant accepted = Instant.now();
            String revision = resp.headers().firstValue("X-Dsha-Revision").orElse("");
            if (resp.statusCode() != 200) {
                failures++;
                System.err.println("change " + i + " (" + state + "): HTTP " + resp.statusCode() + " " + resp.body());
            }
            csv.append(i).append(',').append(state).append(',').append(resp.statusCode()).append(',').append(revision).append(',')
                    .append(micros(sent)).append(',').append(micros(accepted)).append(',')
                    .append(todMicros(sent, zone)).append(',').append(todMicros(accepted, zone)).append('\n');
        }
        java.nio.file.Files.writeString(out, csv);
        System.err.println("RoutingChanges: " + count + " changes sent every " + intervalMs + " ms, " + failures + " refused");
        System.exit(failures == 0 ? 0 : 1);
    }

    private static long micros(Instant t) {
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
    }

    private static long todMicros(Instant t, ZoneId zone) {
        LocalTime lt = LocalTime.ofInstant(t, zone);
        return lt.toNanoOfDay() / 1_000;
    }
}
