package io.dsha.controlplane.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dsha.controlplane.store.Published;
import jakarta.inject.Singleton;
import io.dsha.api.state.StateDelta;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The JSON body of the published snapshot, serialized once per published state and shared by every
 * answer that carries it: each waiting watch, the change's own answer, {@code GET /api/v1/state}.
 * Uses the REST layer's own {@link ObjectMapper}, so the bytes are those it would have written.
 *
 * <p>Also the changes-only answers of {@code watch?delta=true} ({@link StateDelta}): the states last answered with are
 * kept ({@value #KEPT} revisions), and the delta from each base revision to the newest state is serialized once and
 * shared by every watch that held that base. A snapshot of a big site is about 1 KB per backend (940 KB at 1,000
 * backends, bench/results/scale.md); 500 watchers each sent it on every change is 470 MB a change.
 */
@Singleton
final class SnapshotBodies {

    /** How many answered revisions are kept to compute deltas from. */
    static final int KEPT = 32;

    private final ObjectMapper mapper;
    private volatile Body last;
    private final ConcurrentSkipListMap<Long, Published> answered = new ConcurrentSkipListMap<>();
    private volatile Deltas deltas;

    private record Body(Published published, byte[] json) {
    }

    /** The deltas to {@code to}, by base revision, serialized. */
    private record Deltas(Published to, Map<Long, byte[]> byBase) {
    }

    SnapshotBodies(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** The snapshot of {@code p} as JSON; the same array for every caller of the same published state. Do not modify it. */
    byte[] json(Published p) {
        remember(p);
        Body b = last;
        if (b != null && b.published() == p) {
            return b.json();
        }
        synchronized (this) {
            b = last;
            if (b != null && b.published() == p) {
                return b.json();
            }
            byte[] json = write(p.snapshot(), p);
            // Only the newest published state is worth keeping; an older one asked for late is served but not kept.
            if (b == null || p.revision() >= b.published().revision()) {
                last = new Body(p, json);
            }
            return json;
        }
    }

    /**
     * What changed from revision {@code since} to {@code p} as JSON ({@link StateDelta}), the same array for every caller
     * with the same base; null when only the whole snapshot will do: {@code since} is not a revision answered lately, the
     * topology changed since it, or either state was written by another replica (whose view this one does not hold).
     */
    byte[] delta(long since, Published p) {
        remember(p);
        if (since < 0 || since >= p.revision() || p.topologyRevision() > since || p.written() != null) {
            return null;
        }
        Published base = answered.get(since);
        if (base == null || base.written() != null) {
            return null;
        }
        Deltas d = deltas;
        if (d == null || d.to() != p) {
            synchronized (this) {
                d = deltas;
                if (d == null || d.to() != p) {
                    d = new Deltas(p, new ConcurrentHashMap<>());
                    // Only the newest state's deltas are worth keeping.
                    if (deltas == null || p.revision() >= deltas.to().revision()) {
                        deltas = d;
                    }
                }
            }
        }
        return d.byBase().computeIfAbsent(since,
                n -> write(p.state().deltaSince(base.state(), n, p.revision(), p.topologyRevision()), p));
    }

    private void remember(Published p) {
        if (answered.putIfAbsent(p.revision(), p) == null) {
            while (answered.size() > KEPT) {
                answered.pollFirstEntry();
            }
        }
    }

    private byte[] write(Object body, Published p) {
        try {
            return mapper.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("the state at revision " + p.revision() + " cannot be written as JSON", e);
        }
    }
}
