package io.dsha.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-event-loop timeout list, driven by hand. */
class DeadlinesTest {

    private final Deadlines deadlines = new Deadlines(100);
    private final List<String> fired = new ArrayList<>();

    @Test
    void expiresInOrderOnlyWhatHasPassed() {
        deadlines.add(0, () -> fired.add("a"));
        deadlines.add(50_000_000, () -> fired.add("b"));
        deadlines.add(60_000_000, () -> fired.add("c"));

        deadlines.expire(99_999_999);
        assertEquals(List.of(), fired);
        deadlines.expire(100_000_000);
        assertEquals(List.of("a"), fired);
        deadlines.expire(160_000_000);
        assertEquals(List.of("a", "b", "c"), fired);
        assertEquals(0, deadlines.size());
    }

    @Test
    void cancelledDeadlinesNeverFireAndLeaveAtOnce() {
        Deadlines.Deadline a = deadlines.add(0, () -> fired.add("a"));
        Deadlines.Deadline b = deadlines.add(1, () -> fired.add("b"));
        Deadlines.Deadline c = deadlines.add(2, () -> fired.add("c"));

        b.cancel();
        a.cancel();
        c.cancel();
        c.cancel();

        assertEquals(0, deadlines.size());
        deadlines.expire(Long.MAX_VALUE / 2);
        assertEquals(List.of(), fired);
    }

    @Test
    void anActionMayCancelAnother() {
        Deadlines.Deadline[] second = new Deadlines.Deadline[1];
        deadlines.add(0, () -> {
            fired.add("a");
            second[0].cancel();
        });
        second[0] = deadlines.add(0, () -> fired.add("b"));

        deadlines.expire(200_000_000);

        assertEquals(List.of("a"), fired);
    }
}
