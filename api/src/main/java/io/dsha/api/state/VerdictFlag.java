package io.dsha.api.state;

/**
 * Why a verdict deserves a second look. {@code DISPUTED}: the live checkers split with no majority,
 * so the previous verdict is kept. {@code STALE}: no checker has reported within its liveness
 * window, so the last verdict is kept rather than guessed.
 */
public enum VerdictFlag {
    DISPUTED, STALE
}
