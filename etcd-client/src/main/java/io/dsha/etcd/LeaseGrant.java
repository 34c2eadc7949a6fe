package io.dsha.etcd;

/** A lease granted: its id (for puts and compares) and the TTL etcd gave it, in seconds (may exceed the one asked). */
public record LeaseGrant(long id, long ttlSeconds) {
}
