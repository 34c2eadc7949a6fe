package io.dsha.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.proxy.http.RequestBody.Mode;
import io.dsha.proxy.http.RequestBody.Taken;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A request body's modes (held, streamed, refused) and the proxy's count of held bytes, without a socket. */
class RequestBodyTest {

    /** The proxy's limits in small: bodies up to 64 bytes held, 256 at most, 100 held bytes in all. */
    static final class Budget implements RequestBody.Budget {
        long held;
        long total = 100;

        @Override
        public long maxBodyBytes() {
            return 256;
        }

        @Override
        public int retryBufferBytes() {
            return 64;
        }

        @Override
        public boolean hold(int n) {
            if (held + n > total) {
                return false;
            }
            held += n;
            return true;
        }

        @Override
        public void unhold(int n) {
            held -= n;
        }
    }

    private final Budget budget = new Budget();
    private final List<ByteBuf> made = new ArrayList<>();

    @AfterEach
    void nothingLeaks() {
        for (ByteBuf b : made) {
            assertEquals(0, b.refCnt(), "every part read is released once the body is");
        }
    }

    private HttpContent part(int bytes, boolean last) {
        ByteBuf b = Unpooled.buffer(bytes).writeBytes("x".repeat(bytes).getBytes(StandardCharsets.US_ASCII));
        made.add(b);
        return last ? new DefaultLastHttpContent(b) : new DefaultHttpContent(b);
    }

    private RequestBody body(String contentLength) {
        HttpHeaders h = new DefaultHttpHeaders();
        if (contentLength == null) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
        } else {
            h.set(HttpHeaderNames.CONTENT_LENGTH, contentLength);
        }
        return new RequestBody(budget, UnpooledByteBufAllocator.DEFAULT, h);
    }

    @Test
    void aSmallBodyIsHeldInFullAndCountedUntilItsAnswerBegins() {
        RequestBody body = body("40");
        assertEquals(Mode.HOLDING, body.mode());
        assertEquals(Taken.KEPT, body.take(part(30, false)));
        assertEquals(30, budget.held);
        body.end();
        assertEquals(Taken.COMPLETE, body.take(part(10, true)));
        assertTrue(body.held(), "held: it may be sent again");
        assertTrue(body.complete());
        assertEquals(40, budget.held);
        body.answerBegan();
        assertEquals(Mode.RELEASED, body.mode());
        assertEquals(0, budget.held, "no longer counted once it will not be sent again");
        body.release();
    }

    @Test
    void aBodyBeyondTheRetryBufferIsStreamedWhatWasReadFirst() {
        RequestBody body = body(null);
        assertEquals(Taken.KEPT, body.take(part(50, false)));
        assertEquals(Taken.STREAMING, body.take(part(30, false)));
        assertEquals(Mode.STREAMING, body.mode());
        assertFalse(body.held(), "streamed: never sent twice");
        assertEquals(0, budget.held, "what was held is on its way out: no longer counted");
        assertFalse(body.drained(), "the 80 bytes read wait for a backend");
        assertTrue(body.uploading());
        HttpContent next = part(20, false);
        assertEquals(Taken.PASS_ON, body.take(next), "the rest goes on as it comes");
        next.release();
        body.release();
        assertTrue(body.drained());
    }

    @Test
    void aBodyIsStreamedWhenTheProxyHoldsAllItMay() {
        budget.total = 20;
        RequestBody body = body("30");
        assertEquals(Taken.STREAMING, body.take(part(30, true)));
        assertEquals(0, budget.held);
        body.release();
    }

    @Test
    void aStreamedBodyOfUnknownLengthIsCutAtTheLimit() {
        RequestBody body = body(null);
        assertEquals(Taken.STREAMING, body.take(part(64 + 1, false)));
        for (int i = 0; i < 3; i++) {
            HttpContent c = part(60, false);
            assertEquals(Taken.PASS_ON, body.take(c));
            c.release();
        }
        assertEquals(Taken.TOO_LARGE, body.take(part(20, true)), "65 + 180 + 20 bytes: over 256");
        body.release();
    }

    @Test
    void aBodyThatOutgrowsTheLimitWhileHeldIsRefusedAtOnce() {
        budget.total = 1_000;
        RequestBody body = body(null);
        assertEquals(Taken.KEPT, body.take(part(60, false)));
        assertEquals(Taken.TOO_LARGE, body.take(part(200 + 60, false)));
        assertEquals(Mode.RELEASED, body.mode());
        assertEquals(0, budget.held);
        body.release();
    }

    @Test
    void noBodyAnnouncedIsCompleteBeforeItsEmptyEnd() {
        RequestBody body = new RequestBody(budget, UnpooledByteBufAllocator.DEFAULT, new DefaultHttpHeaders());
        assertFalse(body.announced());
        assertTrue(body.complete());
        assertFalse(body.ended());
        body.end();
        assertEquals(Taken.COMPLETE, body.take(new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER)));
        body.release();
    }

    @Test
    void contentLengthIsReadOrMinusOne() {
        assertEquals(12, RequestBody.contentLength(" 12 "));
        assertEquals(-1, RequestBody.contentLength(null));
        assertEquals(-1, RequestBody.contentLength("twelve"));
    }
}
