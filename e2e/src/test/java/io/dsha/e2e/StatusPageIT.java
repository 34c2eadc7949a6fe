package io.dsha.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.api.event.Event;
import io.dsha.api.event.EventType;
import io.dsha.api.topology.Topology;
import io.dsha.launcher.Stack;
import io.dsha.testkit.Prerequisite;
import io.dsha.testkit.etcd.TestEtcd;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The control plane's status page in a real browser (Debian's headless chromium, driven through its chromedriver)
 * against a running stack under client load: without a token the actions are hidden and a line says where the admin
 * token goes; signed in with the agent token the operator sees the active backend and a change refused (403, the
 * problem on the page, the actions hidden again); with the admin token, the actions, the proxies' request rate, a
 * backend drained and re-enabled through the page's confirmation dialog (and the API shows it), the failover when the
 * primary is killed (without a reload), a failback the control plane refuses (409), the phone layout, and a wrong token
 * refused (401: dropped, the actions hidden, the reason said).
 * Screenshots of each state go to {@code e2e/target/screenshots/}.
 */
class StatusPageIT extends StackScenarios {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOTS = ROOT.resolve("e2e/target/screenshots");

    @BeforeAll
    static void browserIsInstalled() {
        Prerequisite.require(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "Debian's chromium and chromedriver at " + CHROMIUM + " and " + CHROMEDRIVER,
                "apt-get install chromium chromium-driver (.ci/run installs them)");
    }

    @Test
    void theOperatorSeesTheFailoverLiveAndActsThroughThePage() throws IOException {
        Files.createDirectories(SCREENSHOTS);
        try (Stack s = stack("status-page", "ACTIVE_PASSIVE"); Load load = new Load(s.loadBalancerUrl(), s.certificate(), 1, Load.Kind.READ)) {
            WebDriver browser = browser();
            try {
                browser.manage().window().setSize(new Dimension(1440, 1000));
                browser.get(s.client().url() + "/");

                // Without a token the page asks for one (the API answered 401). The agent token gives a read-only view:
                // a change is refused with 403, and the page shows the control plane's problem.
                // The actions are hidden, not just disabled, and one line says where the admin token goes.
                eventually("the sign-in form").until(() -> browser.findElement(By.id("token-panel")).isDisplayed());
                assertEquals("signed out", text(browser, By.id("connection")));
                assertActionsHidden(browser, "");
                screenshot(browser, "0-no-token");
                signIn(browser, s.tokens().agent());
                ((JavascriptExecutor) browser).executeScript("window.dshaSameDocument = true;");
                awaitRole(browser, "a", "active");
                assertActionsShown(browser);
                card(browser, "b").findElement(By.cssSelector("button[data-admin-state='DRAIN']")).click();
                confirm(browser, "Set b to DRAIN?");
                awaitProblem(browser, "Forbidden (403)", "this change needs the admin token");
                // The read-only view stays; its actions, which would only be refused again, hide.
                assertActionsHidden(browser, "This token may only read. ");
                assertEquals("live", text(browser, By.id("connection")));
                screenshot(browser, "1-agent-token-refused");
                assertEquals("ENABLED", adminState(s, "b"));
                browser.findElement(By.id("problem-close")).click();

                // The admin token, with a name for the event log.
                browser.findElement(By.id("token-open")).click();
                browser.findElement(By.id("actor")).clear();
                browser.findElement(By.id("actor")).sendKeys("e2e-operator");
                signIn(browser, s.tokens().admin());

                awaitRole(browser, "a", "active");
                awaitRole(browser, "b", "standby");
                assertActionsShown(browser);
                eventually("a's requests/s from the proxy's reports").until(() -> rate(browser, "a") > 0);
                // The proxies panel: the one proxy, ready, and (under the load) holding the traffic.
                eventually("the proxies panel").until(() -> text(browser, By.id("proxies-summary"))
                        .equals("1 proxy · 1 ready · traffic through proxy"));
                assertEquals("ready", text(browser, By.cssSelector("#proxies tr[data-proxy='proxy'] .pill")));
                assertEquals("ACTIVE_PASSIVE", text(browser, By.id("mode")));
                assertEquals("TERMINATE", text(browser, By.id("tls-mode")));
                eventually("the page at the API's revision").until(() -> text(browser, By.id("revision")).split(" ")[0]
                        .equals(String.valueOf(s.client().state().revision())));
                eventually("a UP on the page").until(() -> cardField(browser, "a", ".verdict").equals("UP"));
                eventually("checker-1's vote for a").until(() -> card(browser, "a")
                        .findElement(By.cssSelector(".votes tbody tr[data-checker='checker-1']")).getText().contains("UP"));
                screenshot(browser, "2-active-a");

                // Cancelling the dialog changes nothing.
                card(browser, "b").findElement(By.cssSelector("button[data-admin-state='MAINTENANCE']")).click();
                assertTrue(text(browser, By.id("confirm-text")).contains("Backend b becomes MAINTENANCE"));
                browser.findElement(By.id("confirm-cancel")).click();
                eventually("the dialog closes").until(() -> !browser.findElement(By.id("confirm")).isDisplayed());
                assertEquals("ENABLED", adminState(s, "b"));

                // Drain b through the page: the API shows it, and so does the page (card and timeline).
                card(browser, "b").findElement(By.cssSelector("button[data-admin-state='DRAIN']")).click();
                confirm(browser, "Set b to DRAIN?");
                eventually("b DRAIN in the API").until(() -> adminState(s, "b").equals("DRAIN"));
                eventually("b DRAIN on the page").until(() -> cardField(browser, "b", ".admin-state").equals("DRAIN")
                        && timeline(browser).stream().anyMatch(e -> e.contains("ADMIN STATE CHANGED") && e.contains("e2e-operator")));
                assertTrue(List.of("draining", "drained").contains(cardField(browser, "b", ".role")), cardField(browser, "b", ".role"));
                Event drained = event(s, EventType.ADMIN_STATE_CHANGED);
                assertEquals("ENABLED -> DRAIN", drained.from() + " -> " + drained.to());
                screenshot(browser, "3-b-drained");

                card(browser, "b").findElement(By.cssSelector("button[data-admin-state='ENABLED']")).click();
                confirm(browser, "Set b to ENABLED?");
                eventually("b ENABLED in the API").until(() -> adminState(s, "b").equals("ENABLED"));
                awaitRole(browser, "b", "standby");

                // The primary dies: the page follows the watch stream to the failover, in the same document.
                long failoversBefore = failovers(browser);
                s.sim("a").process().kill();
                awaitRole(browser, "b", "active");
                eventually("a DOWN on the page").until(() -> cardField(browser, "a", ".verdict").startsWith("DOWN"));
                eventually("the failover in the timeline").until(() -> failovers(browser) > failoversBefore);
                assertTrue(timeline(browser).stream().anyMatch(e -> e.contains("FAILOVER") && e.contains("a is DOWN; b is the next backend")),
                        String.join("\n", timeline(browser)));
                assertTrue(text(browser, By.id("routing-summary")).startsWith("Active: b"), text(browser, By.id("routing-summary")));
                assertEquals("datastack-ha · b active", browser.getTitle(), "the tab says where traffic goes");
                assertEquals(Boolean.TRUE, ((JavascriptExecutor) browser).executeScript("return window.dshaSameDocument === true;"),
                        "the page was not reloaded");
                assertEquals(List.of("b"), active(s));
                eventually("b's requests/s").until(() -> rate(browser, "b") > 0);
                screenshot(browser, "4-failover-to-b");

                // A refusal for a reason of the control plane's own: a is dead, there is nothing to fail back to.
                browser.findElement(By.id("failback")).click();
                confirm(browser, "Fail back now?");
                awaitProblem(browser, "Failback refused (409)", "nothing to fail back");
                assertEquals(List.of("b"), active(s));
                screenshot(browser, "5-failback-refused");
                browser.findElement(By.id("problem-close")).click();

                // A phone: the cards stack in one column; a wide screen puts them side by side.
                WebElement a = card(browser, "a");
                WebElement b = card(browser, "b");
                assertEquals(a.getLocation().getY(), b.getLocation().getY(), "side by side on a wide screen");
                browser.manage().window().setSize(new Dimension(390, 1600));
                eventually("cards stacked on a phone")
                        .until(() -> card(browser, "a").getLocation().getX() == card(browser, "b").getLocation().getX()
                                && card(browser, "b").getLocation().getY() > card(browser, "a").getLocation().getY());
                Object overflow = ((JavascriptExecutor) browser).executeScript(
                        "return document.documentElement.scrollWidth > document.documentElement.clientWidth;");
                assertEquals(Boolean.FALSE, overflow, "nothing wider than the phone's screen");
                screenshot(browser, "6-phone");

                // A token the control plane refuses (401) is dropped, and the actions hide again saying why.
                browser.manage().window().setSize(new Dimension(1440, 1000));
                browser.findElement(By.id("token-open")).click();
                browser.findElement(By.id("token")).sendKeys("not-the-admin-token-0123456789");
                browser.findElement(By.id("token-save")).click();
                eventually("the wrong token refused").until(() -> text(browser, By.id("connection")).equals("signed out"));
                assertActionsHidden(browser, "The control plane refused the token: the bearer token is not valid. ");
                assertEquals("The control plane refused the token: the bearer token is not valid.", text(browser, By.id("token-message")));
                assertNull(((JavascriptExecutor) browser).executeScript("return sessionStorage.getItem('dsha.token');"),
                        "the refused token is dropped");
                screenshot(browser, "7-wrong-token-refused");

                load.stop();
            } finally {
                browser.quit();
            }
        }
    }

    @Test
    void onReplicasAFollowerServesThePageWithTheControlPlanesAndFollowsANewLeader() throws IOException {
        Files.createDirectories(SCREENSHOTS);
        TestEtcd.require();
        try (Stack s = replicated("status-page-ha")) {
            int leader = awaitLeader(s);
            int follower = (leader + 1) % 3;
            WebDriver browser = browser();
            try {
                browser.manage().window().setSize(new Dimension(1440, 1000));
                browser.get(s.client().urls().get(follower) + "/");
                eventually("the sign-in form").until(() -> browser.findElement(By.id("token-panel")).isDisplayed());
                signIn(browser, s.tokens().agent());
                String leaderId = "cp-" + (leader + 1);
                String followerId = "cp-" + (follower + 1);
                eventually("the control planes panel").until(() -> text(browser, By.id("cluster-summary")).equals(
                        "3 control planes · " + leaderId + " leads · etcd 3 of 3 healthy · this page is served by " + followerId));
                assertEquals("LEADER", text(browser, By.cssSelector("#replicas tr[data-replica='" + leaderId + "'] .pill")));
                assertEquals("FOLLOWER", text(browser, By.cssSelector("#replicas tr[data-replica='" + followerId + "'] .pill")));
                assertEquals(3, browser.findElements(By.cssSelector("#etcd tbody tr .pill[data-health='healthy']")).size());
                awaitRole(browser, "a", "active"); // the follower serves the leader's verdicts
                // The proxies' reports live on the leader; the follower's page shows them too (the read is forwarded).
                eventually("the proxy on a follower's page").until(() -> text(browser, By.id("proxies-summary")).startsWith("1 proxy · 1 ready"));
                screenshot(browser, "ha-0-control-planes");

                s.controlPlane(leader).kill();
                eventually("a new leader on the page").until(() -> {
                    String summary = text(browser, By.id("cluster-summary"));
                    return summary.startsWith("2 control planes · cp-") && summary.contains(" leads ") && !summary.contains(leaderId + " leads");
                });
                s.etcd().orElseThrow().member(2).kill();
                eventually("etcd's lost member on the page").until(() -> text(browser, By.id("cluster-summary")).contains("etcd 2 of 3 healthy")
                        && browser.findElements(By.cssSelector("#etcd tbody tr .pill[data-health='unhealthy']")).size() == 1);
                screenshot(browser, "ha-1-leader-killed-etcd-member-lost");
            } finally {
                browser.quit();
            }
        }
    }

    private static WebDriver browser() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=en-GB");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort()
                .build();
        return new ChromeDriver(service, options);
    }

    /** Awaits a condition on the page, which redraws parts of itself at any time (an element read may go stale). */
    private static ConditionFactory eventually(String what) {
        return await(what).atMost(BOUND).pollInterval(Duration.ofMillis(100)).ignoreException(StaleElementReferenceException.class);
    }

    private static void signIn(WebDriver browser, String token) {
        browser.findElement(By.id("token")).sendKeys(token);
        browser.findElement(By.id("token-save")).click();
        eventually("signed in").until(() -> !browser.findElement(By.id("token-panel")).isDisplayed()
                && text(browser, By.id("connection")).equals("live"));
    }

    /** Every action on the page (mode, failback, each backend's admin state) is displayed. */
    private static void assertActionsShown(WebDriver browser) {
        eventually("the actions shown").until(() -> actions(browser).stream().allMatch(WebElement::isDisplayed));
        assertTrue(actions(browser).size() >= 2 + 3 * 2, "mode, failback and three admin states on each card");
        assertEquals("", text(browser, By.id("actions-note")));
    }

    /** No action is displayed (hidden, not just disabled); one line says why and where the admin token goes. */
    private static void assertActionsHidden(WebDriver browser, String why) {
        String note = why + "Actions need the admin token: enter it with the “token” button at the top.";
        eventually("the actions hidden").until(() -> text(browser, By.id("actions-note")).equals(note));
        List<WebElement> shown = actions(browser).stream().filter(WebElement::isDisplayed).toList();
        assertTrue(shown.isEmpty(), "displayed without a token that may act: " + shown.stream().map(WebElement::getText).toList());
    }

    private static List<WebElement> actions(WebDriver browser) {
        return browser.findElements(By.cssSelector("#switch-mode, #failback, button[data-admin-state]"));
    }

    private static void awaitProblem(WebDriver browser, String title, String detailStart) {
        eventually("the problem " + title).until(() -> browser.findElement(By.id("problem")).isDisplayed());
        assertEquals(title, text(browser, By.id("problem-title")));
        assertTrue(text(browser, By.id("problem-detail")).startsWith(detailStart), text(browser, By.id("problem-detail")));
    }

    private static void confirm(WebDriver browser, String title) {
        eventually("the confirmation dialog").until(() -> browser.findElement(By.id("confirm")).isDisplayed());
        assertEquals(title, text(browser, By.id("confirm-title")));
        browser.findElement(By.id("confirm-ok")).click();
        eventually("the dialog closes").until(() -> !browser.findElement(By.id("confirm")).isDisplayed());
    }

    private static void awaitRole(WebDriver browser, String backend, String role) {
        eventually(backend + " " + role + " on the page").until(() -> role.equals(cardsRole(browser, backend)));
    }

    private static String cardsRole(WebDriver browser, String backend) {
        List<WebElement> cards = browser.findElements(By.cssSelector("[data-backend='" + backend + "']"));
        return cards.isEmpty() ? "" : cards.get(0).getAttribute("data-role");
    }

    private static WebElement card(WebDriver browser, String backend) {
        return browser.findElement(By.cssSelector("[data-backend='" + backend + "']"));
    }

    private static String cardField(WebDriver browser, String backend, String selector) {
        return card(browser, backend).findElement(By.cssSelector(selector)).getText();
    }

    private static double rate(WebDriver browser, String backend) {
        String t = cardField(browser, backend, ".rps");
        return t.equals("—") ? 0 : Double.parseDouble(t);
    }

    private static String text(WebDriver browser, By by) {
        return browser.findElement(by).getText();
    }

    /** The timeline's entries as shown, read in one go (the page replaces them on every revision). */
    @SuppressWarnings("unchecked")
    private static List<String> timeline(WebDriver browser) {
        return (List<String>) ((JavascriptExecutor) browser).executeScript(
                "return Array.from(document.querySelectorAll('#timeline li')).map(li => li.innerText);");
    }

    private static long failovers(WebDriver browser) {
        return timeline(browser).stream().filter(e -> e.contains("FAILOVER")).count();
    }

    private static String adminState(Stack s, String backend) {
        Topology t = s.client().state().topology();
        return t == null ? "NONE" : t.backend(backend).map(b -> b.adminState().name()).orElse("NONE");
    }

    /** The newest event of this type, as the API lists it. */
    private static Event event(Stack s, EventType type) {
        for (Event e : s.client().events(100)) {
            if (e.type() == type) {
                return e;
            }
        }
        throw new AssertionError("no " + type + " event");
    }

    private static void screenshot(WebDriver browser, String name) {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        try {
            Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
