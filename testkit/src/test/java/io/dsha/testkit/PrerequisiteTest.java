package io.dsha.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class PrerequisiteTest {

    private static final String WHAT = "Debian's chromium";
    private static final String HOW = "apt-get install chromium";

    @Test
    void somethingPresentIsNeitherSkippedNorFailed() {
        Prerequisite.require(true, WHAT, HOW, null);
        Prerequisite.require(true, WHAT, HOW, "1");
    }

    @Test
    void somethingMissingSkipsTheTestSayingWhatAndHow() {
        TestAbortedException skipped = assertThrows(TestAbortedException.class, () -> Prerequisite.require(false, WHAT, HOW, null));
        assertEquals("needs Debian's chromium: apt-get install chromium (skipped; DSHA_REQUIRE_ALL_TESTS=1 makes this a failure)",
                skipped.getMessage());
        assertThrows(TestAbortedException.class, () -> Prerequisite.require(false, WHAT, HOW, "0"));
        assertThrows(TestAbortedException.class, () -> Prerequisite.require(false, WHAT, HOW, ""));
    }

    @Test
    void somethingMissingFailsTheTestWhereTheSwitchIsSet() {
        AssertionFailedError failed = assertThrows(AssertionFailedError.class, () -> Prerequisite.require(false, WHAT, HOW, "1"));
        assertEquals("needs Debian's chromium: apt-get install chromium (DSHA_REQUIRE_ALL_TESTS=1: nothing may be skipped)", failed.getMessage());
    }
}
