package io.dsha.api.traffic;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/**
 * What one proxy holds for one backend on its ingest routes: {@code records} accepted but not yet delivered to it
 * ({@code bytes} of them, the oldest accepted {@code oldestAgeMs} ago), and {@code diverged}: records it refused
 * (4xx) that another instance accepted, since the proxy started.
 */
public record IngestBacklog(
        @NotNull @Min(value = 0, message = "must not be negative") Long records,
        @NotNull @Min(value = 0, message = "must not be negative") Long bytes,
        @NotNull @Min(value = 0, message = "must not be negative") Long oldestAgeMs,
        @NotNull @Min(value = 0, message = "must not be negative") Long diverged) {

    public static final IngestBacklog NONE = new IngestBacklog(0L, 0L, 0L, 0L);

    public boolean empty() {
        return records == 0;
    }

    /** This and {@code other} held together (by two proxies): counts and bytes added, the older of the oldest. */
    public IngestBacklog plus(IngestBacklog other) {
        return new IngestBacklog(records + other.records, bytes + other.bytes, Math.max(oldestAgeMs, other.oldestAgeMs),
                diverged + other.diverged);
    }
}
