package io.dsha.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.api.state.StateSnapshot;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ControlPlaneFollowerTest {

    private static final Duration WATCH = Duration.ofMillis(200);

    private final Vertx vertx = Vertx.vertx();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final List<Long> handedOver = new CopyOnWriteArrayList<>();
    private final List<String> link = new CopyOnWriteArrayList<>();
    private final ManualTimer timer = new ManualTimer();
    private ControlPlaneFollower follower;

    @AfterEach
    void stop() throws Exception {
        if (follower != null) {
            follower.stop();
        }
        for (AutoCloseable c : closing) {
            c.close();
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** A control plane at revision 7, followed, then answering 500: the follower pauses once (not run yet). */
    private FakeControlPlane followedAt7ThenFailing() throws Exception {
        FakeControlPlane cp = controlPlane();
        cp.publish(7);
        follow(cp.url(), Optional.empty());
        await().atMost(10, TimeUnit.SECONDS).until(() -> handedOver.equals(List.of(7L)));

        cp.failWith(500);
        await().atMost(10, TimeUnit.SECONDS).until(() -> timer.pauses().size() == 1);
        return cp;
    }

    private FakeControlPlane controlPlane() throws Exception {
        FakeControlPlane cp = new FakeControlPlane(vertx);
        closing.add(cp);
        return cp;
    }

    private ControlPlaneFollower follow(String urls, Optional<String> token) {
        ControlPlaneClient client = new ControlPlaneClient(vertx, ControlPlaneUrls.parse(urls), token);
        // No jitter (random 0): the pauses are exact.
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofMillis(800), 0.5, () -> 0.0);
        follower = new ControlPlaneFollower(vertx, client, WATCH, backoff, timer, s -> handedOver.add(s.revision()), new ControlPlaneFollower.Listener() {
            @Override
            public void reachable(String url) {
                link.add("reachable " + url);
            }

            @Override
            public void unreachable(String url, Throwable cause) {
                link.add("unreachable " + url);
            }
        });
        follower.start();
        return follower;
    }

    @Test
    void readsTheStateThenWatchesFromTheLastRevisionSeen() throws Exception {
        FakeControlPlane cp = controlPlane();
        cp.publish(3);
        follow(cp.url(), Optional.empty());

        await().atMost(10, TimeUnit.SECONDS).until(() -> handedOver.equals(List.of(3L)));
        cp.publish(5);
        await().atMost(10, TimeUnit.SECONDS).until(() -> handedOver.equals(List.of(3L, 5L)));
        // A watch that times out (204) is followed by another from the same revision.
        await().atMost(10, TimeUnit.SECONDS).until(() -> cp.seen().stream().filter(s -> "5".equals(s.since())).count() >= 2);

        List<FakeControlPlane.Seen> seen = cp.seen();
        assertEquals("/api/v1/state", seen.get(0).path());
        assertEquals(new FakeControlPlane.Seen("/api/v1/watch", "3", null), seen.get(1));
        assertTrue(seen.stream().skip(1).allMatch(s -> s.path().equals("/api/v1/watch")), seen.toString());
        assertEquals(List.of(3L, 5L), handedOver);
        assertEquals(5, follower.revision());
    }

    @Test
    void afterAnErrorItReadsTheStateAgainAndResumesWithoutHandingTheSameRevisionOverTwice() throws Exception {
        FakeControlPlane cp = followedAt7ThenFailing();
        int before = cp.seen().size();
        cp.failWith(0);
        timer.runNext();

        await().atMost(10, TimeUnit.SECONDS).until(() -> cp.seen().size() >= before + 2);
        List<FakeControlPlane.Seen> after = cp.seen().subList(before, before + 2);
        assertEquals("/api/v1/state", after.get(0).path());
        assertEquals(new FakeControlPlane.Seen("/api/v1/watch", "7", null), after.get(1));
        assertEquals(List.of(7L), handedOver, "the same revision is not handed over again");

        cp.publish(8);
        await().atMost(10, TimeUnit.SECONDS).until(() -> handedOver.equals(List.of(7L, 8L)));
    }

    @Test
    void aWatchMovedToAReplicaBehindWaitsThereForTheNextRevisionAndNeverGoesBack() throws Exception {
        FakeControlPlane failing = controlPlane();
        FakeControlPlane behind = controlPlane();
        failing.publish(7);
        behind.publish(6);
        follow(failing.url() + "," + behind.url(), Optional.empty());
        await().atMost(10, TimeUnit.SECONDS).until(() -> handedOver.equals(List.of(7L)));

        failing.close(); // the replica followed dies: the watch in flight breaks, and goes to the next one
        await().atMost(10, TimeUnit.SECONDS).until(() -> behind.seen().stream().anyMatch(r -> r.path().equals("/api/v1/watch")));
        assertEquals(new FakeControlPlane.Seen("/api/v1/watch", "7", null),
                behind.seen().stream().filter(r -> r.path().equals("/api/v1/watch")).findFirst().orElseThrow(),
                "resumed from the revision held");
        behind.publish(8);
        await().atMost(10, TimeUnit.SECONDS).until(() -> handedOver.equals(List.of(7L, 8L)));
        assertTrue(timer.pauses().isEmpty(), "no pause: another replica answered " + timer.pauses());
    }

    @Test
    void aStateReadBehindTheRevisionHeldIsReadAgainUntilItCatchesUp() throws Exception {
        FakeControlPlane cp = followedAt7ThenFailing();
        cp.failWith(0);
        cp.publish(6); // e.g. another replica's mirror, a moment behind
        timer.runNext();
        await().atMost(10, TimeUnit.SECONDS).until(() -> timer.pauses().size() == 2);
        assertEquals(List.of(7L), handedOver, "6 is not handed over after 7");
        cp.publish(8);
        timer.runNext();
        await().atMost(10, TimeUnit.SECONDS).until(() -> handedOver.equals(List.of(7L, 8L)));
    }

    @Test
    void aControlPlaneThatStaysBehindStartedOverAndIsFollowedFromThere() throws Exception {
        FakeControlPlane cp = followedAt7ThenFailing();
        cp.failWith(0);
        cp.publish(2); // its state lost: it starts over
        for (int read = 1; read < ControlPlaneFollower.LOWER_READS_BEFORE_ACCEPTING; read++) {
            timer.runNext();
            int pauses = read + 1;
            await().atMost(10, TimeUnit.SECONDS).until(() -> timer.pauses().size() == pauses);
            assertEquals(List.of(7L), handedOver, "read " + read + " of revision 2 is not handed over yet");
        }
        timer.runNext();
        await().atMost(10, TimeUnit.SECONDS).until(() -> handedOver.equals(List.of(7L, 2L)));
        cp.publish(3);
        await().atMost(10, TimeUnit.SECONDS).until(() -> handedOver.equals(List.of(7L, 2L, 3L)));
    }

    @Test
    void thePauseDoublesWhileFailuresGoOnUpToTheCapAndStartsOverAfterAnAnswer() throws Exception {
        FakeControlPlane cp = controlPlane();
        cp.failWith(503);
        follow(cp.url(), Optional.empty());

        for (int i = 1; i <= 5; i++) {
            int n = i;
            await().atMost(10, TimeUnit.SECONDS).until(() -> timer.pauses().size() == n);
            timer.runNext();
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> timer.pauses().size() == 6);
        assertEquals(List.of(100L, 200L, 400L, 800L, 800L, 800L), timer.pauses());

        cp.failWith(0);
        timer.runNext();
        await().atMost(10, TimeUnit.SECONDS).until(() -> handedOver.equals(List.of(1L)));
        cp.failWith(503);
        await().atMost(10, TimeUnit.SECONDS).until(() -> timer.pauses().size() == 7);
        assertEquals(100L, timer.pauses().get(6), "an answer resets the pause");
        assertEquals("reachable " + cp.url(), link.stream().filter(l -> l.startsWith("reachable")).findFirst().orElseThrow());
    }

    @Test
    void aControlPlaneThatDoesNotAnswerIsPassedOverForTheNextUrl() throws Exception {
        FakeControlPlane second = controlPlane();
        second.publish(4);
        String closed = closedPortUrl();
        follow(closed + "," + second.url(), Optional.empty());

        await().atMost(10, TimeUnit.SECONDS).until(() -> handedOver.equals(List.of(4L)));
        assertEquals(second.url(), follower.client().url(), "the URL that answered is tried first from now on");
        assertTrue(timer.pauses().isEmpty(), "no pause while another URL answers: " + timer.pauses());
        second.publish(6);
        await().atMost(10, TimeUnit.SECONDS).until(() -> handedOver.equals(List.of(4L, 6L)));
    }

    @Test
    void aFailingReplicaIsPassedOverAndTheFollowerComesBackToTheFirstWhenTheSecondFails() throws Exception {
        FakeControlPlane first = controlPlane();
        FakeControlPlane second = controlPlane();
        first.publish(2);
        second.publish(2);
        first.failWith(503);
        follow(first.url() + "," + second.url(), Optional.empty());
        await().atMost(10, TimeUnit.SECONDS).until(() -> handedOver.equals(List.of(2L)));
        assertEquals(second.url(), follower.client().url());

        first.failWith(0);
        second.failWith(503);
        first.publish(3);
        await().atMost(10, TimeUnit.SECONDS).until(() -> handedOver.equals(List.of(2L, 3L)));
        assertEquals(first.url(), follower.client().url());
    }

    @Test
    void everyRequestCarriesTheToken() throws Exception {
        FakeControlPlane cp = controlPlane();
        follow(cp.url(), Optional.of("agent-token-0123456789"));
        await().atMost(10, TimeUnit.SECONDS).until(() -> cp.seen().size() >= 2);
        assertTrue(cp.seen().stream().allMatch(s -> "Bearer agent-token-0123456789".equals(s.authorization())), cp.seen().toString());
    }

    /** A loopback port nothing listens on (refused at once). */
    private static String closedPortUrl() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return "http://127.0.0.1:" + s.getLocalPort();
        }
    }
}
