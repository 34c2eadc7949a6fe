package io.dsha.controlplane.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dsha.controlplane.store.Published;
import jakarta.inject.Singleton;
import java.io.UncheckedIOException;

/**
 * The JSON body of the published snapshot, serialized once per published state and shared by every
 * answer that carries it: each waiting watch, the change's own answer, {@code GET /api/v1/state}.
 * Uses the REST layer's own {@link ObjectMapper}, so the bytes are those it would have written.
 */
@Singleton
final class SnapshotBodies {

    private final ObjectMapper mapper;
    private volatile Body last;

    private record Body(Published published, byte[] json) {
    }

    SnapshotBodies(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** The snapshot of {@code p} as JSON; the same array for every caller of the same published state. Do not modify it. */
    byte[] json(Published p) {
        Body b = last;
        if (b != null && b.published() == p) {
            return b.json();
        }
        synchronized (this) {
            b = last;
            if (b != null && b.published() == p) {
                return b.json();
            }
            byte[] json;
            try {
                json = mapper.writeValueAsBytes(p.snapshot());
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException("the state snapshot at revision " + p.revision() + " cannot be written as JSON", e);
            }
            // Only the newest published state is worth keeping; an older one asked for late is served but not kept.
            if (b == null || p.revision() >= b.published().revision()) {
                last = new Body(p, json);
            }
            return json;
        }
    }
}
