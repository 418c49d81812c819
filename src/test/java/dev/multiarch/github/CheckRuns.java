package dev.multiarch.github;

import dev.multiarch.testing.GitHubStandIn;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Check runs for one commit as the GitHub stand-in received them (successful requests only). */
final class CheckRuns {
    private CheckRuns() {}

    /** Check name → what it was sent, in order: "in_progress", "completed/success", … */
    static Map<String, List<String>> of(GitHubStandIn github, String sha) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<GitHubStandIn.Call>> e : calls(github, sha).entrySet()) {
            List<String> seq = new ArrayList<>();
            for (GitHubStandIn.Call c : e.getValue()) {
                seq.add(c.body().path("status").asText()
                        + (c.body().has("conclusion")
                                ? "/" + c.body().path("conclusion").asText()
                                : ""));
            }
            out.put(e.getKey(), seq);
        }
        return out;
    }

    static GitHubStandIn.Call lastCall(GitHubStandIn github, String sha, String name) {
        List<GitHubStandIn.Call> l = calls(github, sha).get(name);
        return l.get(l.size() - 1);
    }

    private static Map<String, List<GitHubStandIn.Call>> calls(GitHubStandIn github, String sha) {
        Map<Long, String> names = new HashMap<>();
        Map<String, List<GitHubStandIn.Call>> out = new LinkedHashMap<>();
        for (GitHubStandIn.Call c : github.calls()) {
            if (c.status() >= 300 || c.body() == null || !c.path().contains("/check-runs")) {
                continue;
            }
            String name;
            if (c.method().equals("POST")) {
                if (!c.body().path("head_sha").asText().equals(sha)) {
                    continue;
                }
                name = c.body().path("name").asText();
                names.put(c.response().path("id").asLong(), name);
            } else {
                name = names.get(Long.parseLong(c.path().replaceAll(".*/", "")));
                if (name == null) {
                    continue;
                }
            }
            out.computeIfAbsent(name, k -> new ArrayList<>()).add(c);
        }
        return out;
    }
}
