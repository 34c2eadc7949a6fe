package io.dsha.etcd;

import java.util.List;
import java.util.Optional;

/**
 * The keys a range found, in key order, at the store's {@code revision} (the header's: the revision the read saw).
 * {@code count}: how many keys the range holds (more than {@code kvs} when a limit cut them); {@code more}: whether
 * it was cut.
 */
public record RangeResult(long revision, List<KeyValue> kvs, long count, boolean more) implements OpResult {

    public RangeResult {
        kvs = List.copyOf(kvs);
    }

    /** The first key found: the key itself for a single-key range. */
    public Optional<KeyValue> first() {
        return kvs.isEmpty() ? Optional.empty() : Optional.of(kvs.get(0));
    }
}
