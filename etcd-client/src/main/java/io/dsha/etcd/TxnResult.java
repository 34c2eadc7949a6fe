package io.dsha.etcd;

import java.util.List;

/**
 * A transaction's outcome: whether every compare held ({@code succeeded}: the success branch ran, otherwise the failure
 * branch), the store's revision after it, and the ran branch's results, one an {@link Op} in order.
 */
public record TxnResult(boolean succeeded, long revision, List<OpResult> responses) {

    public TxnResult {
        responses = List.copyOf(responses);
    }

    /** The result of the {@code index}th operation, a range. */
    public RangeResult range(int index) {
        return as(index, RangeResult.class);
    }

    public PutResult put(int index) {
        return as(index, PutResult.class);
    }

    public DeleteResult delete(int index) {
        return as(index, DeleteResult.class);
    }

    private <T extends OpResult> T as(int index, Class<T> type) {
        OpResult r = responses.get(index);
        if (!type.isInstance(r)) {
            throw new IllegalArgumentException("operation " + index + " returned a " + r.getClass().getSimpleName() + ", not a " + type.getSimpleName());
        }
        return type.cast(r);
    }
}
