package io.dsha.etcd;

import java.util.Objects;

/**
 * One change seen by a watch: a PUT (the key as written) or a DELETE (the key and the delete's revision as its mod
 * revision). {@code revision}: the header revision of the watch response that carried it, at least the event's own.
 * A watch that resumes does so from the last event's {@code kv().modRevision() + 1}.
 */
public record WatchEvent(Type type, KeyValue kv, long revision) {

    public enum Type {
        PUT, DELETE
    }

    public WatchEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(kv, "kv");
    }
}
