package io.dsha.etcd;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What a test's watch saw: its events in order and the end of every stream, resuming where {@link #resume} is set, as
 * a caller would: from the ended watch's next revision, on whichever endpoint answers.
 */
final class Watcher {

    final List<WatchEvent> events = new CopyOnWriteArrayList<>();
    final List<EtcdException> ends = new CopyOnWriteArrayList<>();
    final List<String> endpoints = new CopyOnWriteArrayList<>();
    private final EtcdClient client;
    private final Bytes prefix;
    private final boolean resume;
    private volatile EtcdWatch current;

    private Watcher(EtcdClient client, Bytes prefix, boolean resume) {
        this.client = client;
        this.prefix = prefix;
        this.resume = resume;
    }

    /** Watches {@code prefix} from {@code fromRevision}; {@code resume}: watch again after every end. */
    static Watcher start(EtcdClient client, Bytes prefix, long fromRevision, boolean resume) {
        Watcher w = new Watcher(client, prefix, resume);
        w.watch(fromRevision);
        return w;
    }

    private void watch(long from) {
        EtcdWatch w = client.watch(prefix, from, events::add, (end, next) -> {
            ends.add(end);
            if (resume) {
                watch(next);
            }
        });
        current = w;
        w.created().onSuccess(v -> endpoints.add(w.endpoint()));
    }

    EtcdWatch current() {
        return current;
    }

    List<String> values() {
        return events.stream().map(e -> e.kv().value().utf8()).toList();
    }

    void cancel() {
        current.cancel();
    }
}
