package io.dsha.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class ControlPlaneUrlsTest {

    @Test
    void oneUrlOrSeveralSeparatedByCommas() {
        assertEquals(List.of(URI.create("http://127.0.0.1:9470")), ControlPlaneUrls.parse("http://127.0.0.1:9470").urls());
        ControlPlaneUrls two = ControlPlaneUrls.parse("http://cp-1:9470, https://cp-2:9471/base");
        assertEquals(List.of(URI.create("http://cp-1:9470"), URI.create("https://cp-2:9471/base")), two.urls());
        assertEquals("http://cp-1:9470,https://cp-2:9471/base", two.toString());
    }

    @Test
    void aUrlThatIsNotHttpIsNamedInTheMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ControlPlaneUrls.parse("ftp://nowhere"));
        assertEquals("dsha.control-plane.url must be http(s)://host:port, got ftp://nowhere", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ControlPlaneUrls.parse("http://cp-1:9470,,http://cp-2:9470"));
        assertEquals("dsha.control-plane.url must be http(s)://host:port, got ", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ControlPlaneUrls.parse("http://cp 1:9470"));
    }
}
