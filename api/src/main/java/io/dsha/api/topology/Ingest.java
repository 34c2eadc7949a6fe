package io.dsha.api.topology;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;
import java.util.Optional;

/**
 * KB376 step 4: records a data source sends to the load balancer's address reach every instance. A request on one of
 * the {@code routes} is journaled by the proxy (fsync'd), delivered to every ENABLED backend (in every mode, DOWN ones
 * included: they get it when they answer again), and acknowledged per {@code ack}. Each record carries the
 * {@code idempotencyHeader} (the source's, or one the proxy adds) so an instance stores it once however often it is
 * replayed. {@code timeoutMs}: how long a source waits for its acknowledgement, and an instance for one delivery.
 * {@code maxRecordBytes}: the largest record body (default 1 MiB).
 */
public record Ingest(
        @NotEmpty(message = "must list at least one route, such as {method: POST, pathPrefix: /api/records}")
        @Size(max = 16, message = "must list at most 16 routes") List<@NotNull @Valid IngestRoute> routes,
        @NotNull IngestAck ack,
        @NotNull @Valid IngestJournal journal,
        @NotNull @Pattern(regexp = "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}", message = "must be an HTTP header name") String idempotencyHeader,
        @NotNull @Min(value = 100, message = "must be between 100 and 60000")
        @Max(value = 60_000, message = "must be between 100 and 60000") Integer timeoutMs,
        @NotNull @Min(value = 1, message = "must be between 1 and 16777216")
        @Max(value = 16_777_216, message = "must be between 1 and 16777216") Integer maxRecordBytes) {

    public Ingest {
        routes = routes == null ? null : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(routes));
        ack = ack == null ? IngestAck.ONE : ack;
        journal = journal == null ? IngestJournal.DEFAULT : journal;
        idempotencyHeader = idempotencyHeader == null ? "Idempotency-Key" : idempotencyHeader;
        timeoutMs = timeoutMs == null ? 5000 : timeoutMs;
        maxRecordBytes = maxRecordBytes == null ? 1 << 20 : maxRecordBytes;
    }

    /** The route a request of {@code method} on {@code uri} is on, if any. */
    public Optional<IngestRoute> route(String method, String uri) {
        for (IngestRoute r : routes) {
            if (r != null && r.matches(method, uri)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
