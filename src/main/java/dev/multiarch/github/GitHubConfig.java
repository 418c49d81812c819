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
 *   web-url: https://github.com              # where repositories are cloned from (GHES: https://ghe.example)
 *   client-id: Iv1.…                         # the App's OAuth client, for signing in to the build pages
 *   client-secret: ${GITHUB_CLIENT_SECRET}   #   (the App's Callback URL: {public-url}/login/callback)
 *   webhook-secrets: [${WEBHOOK_SECRET}, ${WEBHOOK_SECRET_OLD:-}]   # any of them verifies a delivery
 *   app-id: "123456"                         # as a GitHub App (check runs)…
 *   private-key-file: /etc/multiarch/app.pem #   …with the key exactly as GitHub hands it out
 *   token: ${GITHUB_TOKEN}                   # …or with a token (commit statuses)
 *   workflows: workflows                     # the event-to-pipeline definitions
 * </pre>
 */
public record GitHubConfig(
        String apiUrl,
        String webUrl,
        String clientId,
        String clientSecret,
        List<String> webhookSecrets,
        String appId,
        Path privateKeyFile,
        String token,
        Path workflowsDir) {
    private static final Set<String> KEYS = Set.of(
            "api-url",
            "web-url",
            "client-id",
            "client-secret",
            "webhook-secrets",
            "webhook-secret",
            "app-id",
            "private-key-file",
            "token",
            "workflows");

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
        String web = values.getOrDefault("web-url", defaultWebUrl(api)).replaceAll("/+$", "");
        if (!web.startsWith("https://") && !web.matches("http://(127\\.[0-9.]+|localhost|\\[::1])(:[0-9]+)?(/.*)?")) {
            throw new ConfigException(
                    "config.yaml", 0, "github.web-url", "must be https:// (or http:// to this machine), got " + web);
        }
        String clientId = values.get("client-id");
        String clientSecret = values.get("client-secret");
        if ((clientId == null) != (clientSecret == null)) {
            throw new ConfigException("config.yaml", 0, "github", "client-id and client-secret go together");
        }
        return new GitHubConfig(
                api,
                web,
                clientId,
                clientSecret,
                List.copyOf(secrets),
                appId,
                key == null ? null : baseDir.resolve(key),
                appId == null ? token : null,
                baseDir.resolve(values.getOrDefault("workflows", "workflows")));
    }

    /** github.com for api.github.com; {@code https://HOST} for GitHub Enterprise's {@code https://HOST/api/v3}. */
    static String defaultWebUrl(String apiUrl) {
        if (apiUrl.equals("https://api.github.com")) {
            return "https://github.com";
        }
        return apiUrl.endsWith("/api/v3") ? apiUrl.substring(0, apiUrl.length() - "/api/v3".length()) : apiUrl;
    }

    /** Where runners fetch a repository: never a URL from a webhook payload, which its sender chose. */
    public String cloneUrl(String fullName) {
        if (!fullName.matches("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+") || fullName.contains("..")) {
            throw new IllegalArgumentException("not a repository name: " + fullName);
        }
        return webUrl + "/" + fullName + ".git";
    }

    /** Whether people can sign in with GitHub to see private repositories' builds. */
    public boolean canSignIn() {
        return clientId != null;
    }

    public boolean isApp() {
        return appId != null;
    }

    @Override
    public String toString() {
        return "GitHubConfig[" + apiUrl + ", " + webUrl + ", " + (isApp() ? "app " + appId : "token <redacted>") + ", "
                + webhookSecrets.size() + " webhook secret(s), sign-in " + (canSignIn() ? "client " + clientId : "off")
                + "]";
    }
}
