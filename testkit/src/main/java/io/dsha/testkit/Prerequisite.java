package io.dsha.testkit;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test needs of the machine that a build cannot bring (a browser, a kernel that allows io_uring, root for a
 * tmpfs). Where it is missing the test is skipped, saying what is missing and how to get it; where the environment has
 * {@value #SWITCH}{@code =1}, as CI does ({@code .ci/run}), the test fails with that message instead, so that a green
 * build there can never hide a test that did not run. An environment variable, not a system property: it reaches the
 * test JVMs surefire and failsafe fork without any configuration.
 */
public final class Prerequisite {

    /** The environment variable that makes every prerequisite required: a missing one fails the test. */
    public static final String SWITCH = "DSHA_REQUIRE_ALL_TESTS";

    private Prerequisite() {
    }

    /**
     * Returns if {@code present}; otherwise skips the test, or fails it where {@value #SWITCH}{@code =1}, with
     * "needs WHAT: HOW_TO_GET".
     *
     * @param what what the test needs, e.g. "Debian's chromium and chromedriver"
     * @param howToGet how to get it, e.g. "apt-get install chromium chromium-driver"
     */
    public static void require(boolean present, String what, String howToGet) {
        require(present, what, howToGet, System.getenv(SWITCH));
    }

    static void require(boolean present, String what, String howToGet, String switchValue) {
        if (present) {
            return;
        }
        String message = "needs " + what + ": " + howToGet;
        if ("1".equals(switchValue)) {
            Assertions.fail(message + " (" + SWITCH + "=1: nothing may be skipped)");
        }
        Assumptions.abort(message + " (skipped; " + SWITCH + "=1 makes this a failure)");
    }
}
