package dev.multiarch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.testing.CoordinatorApi;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.PipelineRig;
import dev.multiarch.testing.RegistryServer;
import dev.multiarch.testing.Skopeo;
import dev.multiarch.testing.TestImages;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser (Debian's chromium through chromium-driver, headless) against a coordinator and two
 * runner processes building for real (native amd64, arm64 under QEMU) into a real registry. One tab keeps the builds
 * list open, another the build page, while the build runs: the matrix moves from running to succeeded by itself, the
 * log streams into the page without a reload, the page ends published, and the image page lists exactly the platforms
 * skopeo reads from the registry. Assertions are on the DOM; no screenshots.
 */
class DashboardIT {
    private static final Duration DEADLINE = Duration.ofMinutes(5);

    @TempDir
    static Path dir;

    private static RegistryServer registry;
    private static PipelineRig rig;
    private static CoordinatorApi api;
    private static ChromeDriverService service;
    private static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        registry = RegistryServer.start();
        rig = new PipelineRig(dir, registry, 10);
        rig.startCoordinator();
        rig.startRunner("runner-amd64", List.of("linux/amd64"), List.of(), 1);
        rig.startRunner("runner-qemu", List.of(), List.of("linux/arm64"), 1);
        api = rig.api();
        service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File("/usr/bin/chromedriver"))
                .usingAnyFreePort()
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments(
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                // containers often give /dev/shm 64 MB: Chromium then crashes on larger pages
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (service != null) {
            service.stop();
        }
        if (rig != null) {
            rig.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    private static <T> T until(String what, Function<WebDriver, T> condition) {
        return new WebDriverWait(browser, DEADLINE, Duration.ofMillis(200))
                .withMessage(() -> what + "; the page:\n" + browser.getPageSource())
                // The list swaps its table every two seconds: an element found just before may be gone.
                .ignoring(StaleElementReferenceException.class)
                .until(condition);
    }

    /**
     * An attribute of {@code platform}'s cell in build {@code id}'s row of the list, or null when not shown; read in
     * the page in one step, as the list may swap its table at any moment.
     */
    private static String cell(long id, String platform, String attribute) {
        return (String) ((JavascriptExecutor) browser)
                .executeScript(
                        "var c = document.querySelector('tr[data-build=\"' + arguments[0] + '\"] td[data-platform=\"'"
                                + " + arguments[1] + '\"]'); return c ? c.getAttribute(arguments[2]) : null;",
                        String.valueOf(id),
                        platform,
                        attribute);
    }

    private static String cell(long id, String platform) {
        return cell(id, platform, "data-state");
    }

    @Test
    void dashboard_followsARealBuild_matrixLiveLogAndImagePlatformsAsSkopeoSeesThem() throws Exception {
        GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("dash")));
        String image = registry.host() + "/dash";
        Map<String, String> files = new LinkedHashMap<>();
        files.put(
                "Dockerfile",
                "FROM scratch\nARG TARGETARCH\nARG TARGETVARIANT=\n"
                        + "COPY busybox-${TARGETARCH}${TARGETVARIANT} /bin/busybox\n"
                        + "RUN [\"/bin/busybox\", \"sh\", \"-c\", \"for i in 1 2 3 4 5 6 7 8; do echo tick-$i; "
                        + "/bin/busybox sleep 1; done\"]\n");
        files.put("busybox-amd64", "@" + TestImages.busybox("amd64"));
        files.put("busybox-arm64", "@" + TestImages.busybox("arm64"));
        files.put(".multiarch.yaml", "image: " + image + "\nplatforms: [linux/amd64, linux/arm64]\n");
        String commit = repo.commit("dashboard", files);
        repo.tag("v1.0.0");
        long id = api.trigger(repo.cloneUrl(), commit, "refs/tags/v1.0.0", true).get(0);

        // Tab 1: the builds list, left open; it refreshes itself while the build is unfinished.
        browser.get(rig.url() + "/builds");
        String list = browser.getWindowHandle();
        until("amd64 running in the matrix", d -> "running".equals(cell(id, "linux/amd64")));
        String title = cell(id, "linux/amd64", "title");
        assertTrue(title.contains("(native)"), title);

        // Tab 2: the build page, followed live. A mark set in the page would not survive a reload.
        browser.switchTo().newWindow(WindowType.TAB);
        browser.get(rig.url() + "/builds/" + id);
        String page = browser.getWindowHandle();
        ((JavascriptExecutor) browser).executeScript("window.multiarchMark = 'same page';");
        long amd64 = api.build(id).path("jobs").get(0).path("id").asLong();
        By amd64Log = By.cssSelector("pre.log[data-job=\"" + amd64 + "\"]");
        String early = browser.findElement(amd64Log).getText();
        until(
                "tick-8 streamed into the amd64 log",
                d -> d.findElement(amd64Log).getText().contains("tick-8"));
        assertTrue(!early.contains("tick-8"), "the log grew in place, it was not all there at first: " + early);
        until("the page says published", d -> "published"
                .equals(d.findElement(By.id("build-state")).getText()));
        assertEquals("same page", ((JavascriptExecutor) browser).executeScript("return window.multiarchMark;"));
        until("the stream ended", d -> "true"
                .equals(d.findElement(By.tagName("body")).getDomAttribute("data-ended")));
        Set<String> entries = new TreeSet<>();
        browser.findElements(By.cssSelector("#published tr.entry td:first-child"))
                .forEach(e -> entries.add(e.getText()));
        assertEquals(Set.of("linux/amd64", "linux/arm64"), entries);
        JsonNode b = api.build(id);
        assertEquals(
                b.path("indexDigest").asText(),
                browser.findElement(By.id("index-digest")).getText());
        assertTrue(
                browser.findElements(By.cssSelector("#timeline .bar span.s-build"))
                                .size()
                        == 2,
                "a timeline bar with a build step per platform");

        // Back to the list: it moved on by itself.
        browser.switchTo().window(list);
        until("amd64 succeeded in the matrix", d -> "succeeded".equals(cell(id, "linux/amd64")));
        until("arm64 succeeded in the matrix", d -> "succeeded".equals(cell(id, "linux/arm64")));
        until("the row says published", d -> "published"
                .equals(d.findElement(By.cssSelector("tr[data-build=\"" + id + "\"] td[data-state]"))
                        .getDomAttribute("data-state")));
        String arm = cell(id, "linux/arm64", "title");
        assertTrue(arm.contains("(qemu)"), arm);
        browser.switchTo().window(page).close();
        browser.switchTo().window(list);

        // The image page lists, for latest, exactly the platforms skopeo reads from the registry's index.
        browser.get(rig.url() + "/images?name=" + java.net.URLEncoder.encode(image, "UTF-8"));
        Set<String> shown = new TreeSet<>();
        browser.findElements(By.cssSelector("tr[data-tag=\"latest\"] li.platform"))
                .forEach(e -> shown.add(e.getDomAttribute("data-platform")));
        Set<String> skopeo = new TreeSet<>();
        for (JsonNode m : Skopeo.parse(Skopeo.raw(image + ":latest", null)).path("manifests")) {
            JsonNode p = m.path("platform");
            skopeo.add(p.path("os").asText() + "/" + p.path("architecture").asText()
                    + (p.path("variant").asText().isEmpty()
                            ? ""
                            : "/" + p.path("variant").asText()));
        }
        assertEquals(skopeo, shown);
        assertEquals(Set.of("linux/amd64", "linux/arm64"), shown);
        assertTrue(browser.findElement(By.cssSelector("tr[data-tag=\"latest\"]"))
                .getText()
                .contains(b.path("indexDigest").asText()));

        // Each tag's move to this build's index is recorded as it was published (BuildPublisher → tag_moves).
        List<String> moves = browser.findElements(By.cssSelector("section.image details tr td:nth-child(2)")).stream()
                .map(e -> e.getDomProperty("textContent"))
                .sorted()
                .toList();
        assertEquals(List.of("1", "1.0", "1.0.0", "latest"), moves);

        // The runners page: both runners, idle now, with the jobs they did.
        browser.get(rig.url() + "/runners");
        String runners = browser.findElement(By.id("runners")).getText();
        assertTrue(runners.contains("runner-amd64") && runners.contains("runner-qemu"), runners);
        assertTrue(runners.contains("linux/amd64: 1 / 0") && runners.contains("linux/arm64: 1 / 0"), runners);
    }
}
