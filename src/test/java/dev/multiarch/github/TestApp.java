package dev.multiarch.github;

import java.nio.file.Path;
import java.util.Map;

/** The tests' GitHub App (id 424242, webhook secret "s"): its configuration against a stand-in at {@code apiUrl}. */
final class TestApp {
    private TestApp() {}

    static GitHubConfig config(Path pem, String apiUrl, Path dir) {
        return GitHubConfig.of(
                Map.of(
                        "webhook-secret",
                        "s",
                        "app-id",
                        "424242",
                        "private-key-file",
                        pem.toString(),
                        "api-url",
                        apiUrl),
                dir);
    }
}
