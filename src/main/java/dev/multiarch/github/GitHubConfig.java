package dev.multiarch.github;

import dev.multiarch.config.ConfigException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code github:} section of config.yaml.
 * <pre>
 * github:
 *   api-url: https://api.github.com          # GHES: https://ghe.example/api/v3
 *   webhook-secrets: [${WEBHOOK_SECRET}, ${WEBHOOK_SECRET_OLD:-}]   # any of them verifies a delivery
 *   app-id: "123456"                         # as a GitHub App (check runs)…
 *   private-key-file: /etc/multiarch/app.pem #   …with the key exactly as GitHub hands it out
 *   token: ${GITHUB_TOKEN}                   # …or with a token (commit statuses)
 *   workflows: workflows                     # the event-to-pipeline definitions
 * </pre>
 */
public record GitHubConfig(
        String apiUrl,
        List<String> webhookSecrets,
        String appId,
        Path privateKeyFile,
        String token,
        Path workflowsDir) {
    private static final Set<String> KEYS =
            Set.of("api-url", "webhook-secrets", "webhook-secret", "app-id", "private-key-file", "token", "workflows");

    public static GitHubConfig of(Map<String, String> values, Path baseDir) {
        for (String k : values.keySet()) {
            if (!KEYS.contains(k)) {
                throw new ConfigException(
                        "config.yaml",
                        0,
                        "github." + k,
                        "unknown key; expected one of "
                                + String.join(", ", KEYS.stream().sorted().toList()));
            }
        }
        List<String> secrets = new ArrayList<>();
        for (String key : List.of("webhook-secrets", "webhook-secret")) {
            String v = values.get(key);
            if (v != null) {
                for (String s : v.split(",")) {
                    if (!s.isBlank()) {
                        secrets.add(s.trim());
                    }
                }
            }
        }
        if (secrets.isEmpty()) {
            throw new ConfigException(
                    "config.yaml",
                    0,
                    "github.webhook-secrets",
                    "at least one webhook secret is required (deliveries without a valid signature are refused)");
        }
        String appId = values.get("app-id");
        String key = values.get("private-key-file");
        String token = values.get("token");
        if ((appId == null) != (key == null)) {
            throw new ConfigException("config.yaml", 0, "github", "app-id and private-key-file go together");
        }
        if (appId == null && (token == null || token.isBlank())) {
            throw new ConfigException(
                    "config.yaml", 0, "github", "give app-id and private-key-file (a GitHub App) or token");
        }
        String api = values.getOrDefault("api-url", "https://api.github.com").replaceAll("/+$", "");
        return new GitHubConfig(
                api,
                List.copyOf(secrets),
                appId,
                key == null ? null : baseDir.resolve(key),
                appId == null ? token : null,
                baseDir.resolve(values.getOrDefault("workflows", "workflows")));
    }

    public boolean isApp() {
        return appId != null;
    }

    @Override
    public String toString() {
        return "GitHubConfig[" + apiUrl + ", " + (isApp() ? "app " + appId : "token <redacted>") + ", "
                + webhookSecrets.size() + " webhook secret(s)]";
    }
}
