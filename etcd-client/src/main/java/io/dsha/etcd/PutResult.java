package io.dsha.etcd;

/** A put's outcome: the revision it made (the header's). */
public record PutResult(long revision) implements OpResult {
}
