package io.dsha.etcd;

/** A delete's outcome: the store's revision after it (unchanged when nothing was deleted) and how many keys it deleted. */
public record DeleteResult(long revision, long deleted) implements OpResult {
}
