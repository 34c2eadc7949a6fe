package io.dsha.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The backend connections' idle detection, on Netty's embedded channel with its clock driven by the test. */
class IdleCloserTest {

    private static final long TIMEOUT_MS = 1000;

    /** What reaches the handler after the closer. */
    private static final class Events extends ChannelInboundHandlerAdapter {
        final List<Object> seen = new ArrayList<>();

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            seen.add(evt);
        }
    }

    private final Events events = new Events();

    private EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new IdleCloser(TIMEOUT_MS), events);
        return ch;
    }

    private static void advance(EmbeddedChannel ch, long millis) {
        // In steps of 50 ms, as the event loop's clock would move: each check runs when its time comes.
        for (long t = 0; t < millis; t += 50) {
            ch.advanceTimeBy(50, TimeUnit.MILLISECONDS);
            ch.runScheduledPendingTasks();
        }
    }

    @Test
    void aSilentConnectionIsReportedAfterOneTimeoutAndNotBefore() {
        EmbeddedChannel ch = channel();
        advance(ch, TIMEOUT_MS - 50);
        assertTrue(events.seen.isEmpty(), "reported before the timeout: " + events.seen);
        advance(ch, TIMEOUT_MS / 4 + 50);
        assertEquals(List.of(IdleStateEvent.ALL_IDLE_STATE_EVENT), events.seen);
        advance(ch, 3 * TIMEOUT_MS);
        assertEquals(1, events.seen.size(), "reported once");
        ch.finishAndReleaseAll();
    }

    @Test
    void readsAndWritesKeepItOpen() {
        EmbeddedChannel ch = channel();
        for (int i = 0; i < 8; i++) {
            advance(ch, TIMEOUT_MS / 2);
            if (i % 2 == 0) {
                ch.writeInbound("from the backend");
                ch.readInbound();
            } else {
                ch.writeOutbound("to the backend");
                ch.readOutbound();
            }
        }
        assertTrue(events.seen.isEmpty(), "reported while busy: " + events.seen);
        // Then silence: reported within one and a quarter timeouts of the last write.
        advance(ch, TIMEOUT_MS * 5 / 4 + 50);
        assertEquals(List.of(IdleStateEvent.ALL_IDLE_STATE_EVENT), events.seen);
        ch.finishAndReleaseAll();
    }

    @Test
    void aClosedConnectionIsNotWatched() {
        EmbeddedChannel ch = channel();
        ch.close();
        advance(ch, 3 * TIMEOUT_MS);
        assertTrue(events.seen.isEmpty(), "reported after closing: " + events.seen);
    }
}
