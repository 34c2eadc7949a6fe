package io.dsha.api.state;

/**
 * Why a verdict deserves a second look. {@code DISPUTED}: the live checkers split with no majority,
 * so the previous verdict is kept. {@code STALE}: no checker has reported within its liveness
 * window, so the last verdict is kept rather than guessed. {@code DEGRADED}: a majority of the
 * checkers that see the backend up also see something wrong with it (the verdict's
 * {@code degraded} says what); a certificate problem alone keeps the backend in rotation, lagging
 * data also makes its status DEGRADED.
 */
public enum VerdictFlag {
    DISPUTED, STALE, DEGRADED
}
