package dev.multiarch.github;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.testing.GitHubEvents;
import dev.multiarch.testing.GitHubStandIn;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.PipelineRig;
import dev.multiarch.testing.Ports;
import dev.multiarch.testing.RegistryServer;
import dev.multiarch.testing.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Authenticating with a token instead of as an App: the checks are commit statuses. */
class GitHubTokenIT {
    @TempDir
    Path dir;

    @Test
    void tagPush_commitStatusesGoPendingToSuccess_descriptionsWithinGitHubsLimit() throws Exception {
        try (RegistryServer registry = RegistryServer.start();
                GitHubStandIn github =
                        new GitHubStandIn(GitHubStandIn.openApi(), null, null, "ghp_test_token_0123456789")) {
            GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("repo")));
            github.repo("octo-org/statuses", Path.of(repo.cloneUrl()));
            Map<String, String> files = new LinkedHashMap<>();
            files.put(
                    "Dockerfile",
                    "FROM scratch\nARG TARGETARCH\nCOPY busybox-${TARGETARCH} /bin/busybox\n"
                            + "RUN [\"/bin/busybox\", \"true\"]\n");
            files.put("busybox-amd64", "@" + TestImages.busybox("amd64"));
            files.put("busybox-arm64", "@" + TestImages.busybox("arm64"));
            files.put(
                    ".multiarch.yaml",
                    "image: " + registry.host() + "/statuses\nplatforms: [linux/amd64, linux/arm64]\n");
            String commit = repo.commit("statuses", files);
            // The shipped workflows, with the optional edge workflow switched on, as an operator would.
            Path workflows = Files.createDirectories(dir.resolve("workflows"));
            for (String f : List.of("release.yaml", "pull-requests.yaml", "edge.yaml")) {
                Files.writeString(
                        workflows.resolve(f),
                        Files.readString(Path.of("workflows", f)).replace("enabled: false", "enabled: true"));
            }
            try (PipelineRig rig = new PipelineRig(dir, registry, 6)
                    .withConfig(
                            "repositories:\n  - match: octo-org/statuses\n    images: [" + registry.host() + "/*]\n"
                                    + "github:\n  api-url: " + github.url()
                                    + "\n  webhook-secret: s3cret-for-statuses\n  token: ${GH_TOKEN}\n  workflows: "
                                    + workflows
                                    + "\n",
                            Map.of("GH_TOKEN", "ghp_test_token_0123456789"))) {
                rig.startCoordinator();
                rig.startRunner("tok-runner", List.of("linux/amd64"), List.of("linux/arm64"), 2);
                ObjectNode push = GitHubEvents.example(
                        "push",
                        e -> e.path("ref").asText().startsWith("refs/tags/")
                                && e.path("created").asBoolean()
                                && !e.path("deleted").asBoolean());
                GitHubEvents.repoint(push, "octo-org/statuses", repo.cloneUrl(), 0);
                push.remove("installation");
                push.put("ref", "refs/tags/v1.0.0").put("after", commit);
                assertEquals(
                        202,
                        GitHubEvents.deliver(rig.url() + "/webhook", "push", push, "s3cret-for-statuses")
                                .status());
                Ports.await("final statuses", Duration.ofMinutes(3), () -> {
                    Map<String, List<JsonNode>> s = statuses(github, commit);
                    return s.size() == 3
                            && s.values().stream().allMatch(l -> l.get(l.size() - 1)
                                    .path("state")
                                    .asText()
                                    .equals("success"));
                });
                Map<String, List<JsonNode>> s = statuses(github, commit);
                for (Map.Entry<String, List<JsonNode>> e : s.entrySet()) {
                    assertEquals("pending", e.getValue().get(0).path("state").asText(), e.getKey());
                    for (JsonNode st : e.getValue()) {
                        assertTrue(st.path("description").asText().length() <= 140, st.toString());
                        assertTrue(st.path("target_url").asText().startsWith(rig.url() + "/builds/"), st.toString());
                    }
                }
                assertTrue(
                        s.get("multiarch")
                                .get(s.get("multiarch").size() - 1)
                                .path("description")
                                .asText()
                                .startsWith("Published 1.0.0, 1.0, 1, latest"),
                        s.get("multiarch").toString());
                assertEquals(List.of(), github.violations());

                // A push to the default branch publishes `edge`; a push to another branch builds nothing.
                String next = repo.commit("on main", Map.of("NEXT", "1\n"));
                ObjectNode branch =
                        GitHubEvents.example("push", e -> e.path("ref").asText().startsWith("refs/heads/"));
                GitHubEvents.repoint(branch, "octo-org/statuses", repo.cloneUrl(), 0);
                branch.remove("installation");
                branch.put("ref", "refs/heads/main").put("after", next).put("deleted", false);
                assertEquals(
                        202,
                        GitHubEvents.deliver(rig.url() + "/webhook", "push", branch, "s3cret-for-statuses")
                                .status());
                branch.put("ref", "refs/heads/feature").put("after", repo.commit("feature", Map.of("F", "1\n")));
                assertEquals(
                        202,
                        GitHubEvents.deliver(rig.url() + "/webhook", "push", branch, "s3cret-for-statuses")
                                .status());
                Ports.await("the edge build", Duration.ofMinutes(3), () -> rig.api().builds(next).stream()
                        .anyMatch(b -> b.path("state").asText().equals("published")));
                assertEquals(
                        List.of("1", "1.0", "1.0.0", "edge", "latest"),
                        dev.multiarch.testing.Skopeo.tags(registry.host() + "/statuses"));
                assertEquals(List.of(), rig.api().builds(branch.path("after").asText()), "no workflow for feature");
            }
        }
    }

    private static Map<String, List<JsonNode>> statuses(GitHubStandIn github, String sha) {
        Map<String, List<JsonNode>> out = new LinkedHashMap<>();
        for (GitHubStandIn.Call c : github.calls()) {
            if (c.method().equals("POST") && c.path().endsWith("/statuses/" + sha) && c.status() == 201) {
                out.computeIfAbsent(c.body().path("context").asText(), k -> new ArrayList<>())
                        .add(c.body());
            }
        }
        return out;
    }
}
