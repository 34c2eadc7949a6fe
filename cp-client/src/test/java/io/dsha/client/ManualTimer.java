package io.dsha.client;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** The follower's pauses driven by the test: each is recorded and waits until the test runs it. */
final class ManualTimer implements ControlPlaneFollower.Timer {

    private final List<Long> pauses = new ArrayList<>();
    private final Deque<Runnable> held = new ArrayDeque<>();

    @Override
    public synchronized void after(long delayMs, Runnable action) {
        pauses.add(delayMs);
        held.add(action);
    }

    synchronized List<Long> pauses() {
        return List.copyOf(pauses);
    }

    /** Ends the oldest pause now: the follower tries again. */
    void runNext() {
        Runnable r;
        synchronized (this) {
            r = held.remove();
        }
        r.run();
    }
}
