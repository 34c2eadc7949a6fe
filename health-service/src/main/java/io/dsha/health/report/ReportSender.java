package io.dsha.health.report;

import io.dsha.api.report.Report;
import io.dsha.api.report.ReportReceipt;
import io.dsha.client.ControlPlaneClient;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends one report and waits for the answer (on the {@link Reporter}'s thread, never an event loop). One
 * try: trying again is the {@code Reporter}'s job, with its back-off, while the observations wait in
 * {@link PendingObservations}. A 4xx is a {@link ReportRefused}: the control plane answered.
 */
public final class ReportSender {

    /** An attempt's limit: the control plane answers a report at once, or it is in trouble. */
    static final long TIMEOUT_MS = 2_000;

    private final ControlPlaneClient client;

    public ReportSender(ControlPlaneClient client) {
        this.client = Objects.requireNonNull(client, "client");
    }

    public ReportReceipt send(Report report) {
        ControlPlaneClient.Reply reply;
        try {
            reply = client.post("/api/v1/reports", report, TIMEOUT_MS).toCompletionStage().toCompletableFuture()
                    .get(TIMEOUT_MS * client.urls().urls().size() + 1_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reporting", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage() == null ? e.getCause().toString() : e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the control plane did not answer the report within " + TIMEOUT_MS + " ms", e);
        }
        if (reply.status() >= 400 && reply.status() < 500) {
            throw new ReportRefused(reply.status(), reply.body().toString());
        }
        if (reply.status() != 200 && reply.status() != 202) {
            throw new IllegalStateException("the control plane answered a report with " + reply);
        }
        return reply.read(ReportReceipt.class);
    }

    /** The control plane answered the report with a 4xx: {@code body} says why. */
    public static final class ReportRefused extends RuntimeException {

        private final int status;
        private final String body;

        public ReportRefused(int status, String body) {
            super("the control plane refused the report with " + status);
            this.status = status;
            this.body = body;
        }

        public int status() {
            return status;
        }

        public String body() {
            return body;
        }
    }
}
