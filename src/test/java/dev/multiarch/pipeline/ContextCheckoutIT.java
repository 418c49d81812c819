package dev.multiarch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.platform.Platform;
import dev.multiarch.testing.CoordinatorApi;
import dev.multiarch.testing.GitHttpServer;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.PipelineRig;
import dev.multiarch.testing.RegistryServer;
import dev.multiarch.testing.Skopeo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A monorepo built from one service's directory, end to end with a real buildah build: the runner checks out that
 * build context only, fetches the Git LFS object of that context only (over the LFS batch API, as from GitHub), and
 * the image holds the LFS file's content, not its pointer.
 */
class ContextCheckoutIT {
    private static final Duration DEADLINE = Duration.ofMinutes(4);

    @TempDir
    static Path dir;

    private static RegistryServer registry;
    private static PipelineRig rig;
    private static CoordinatorApi api;
    private static GitHttpServer server;

    @BeforeAll
    static void start() {
        registry = RegistryServer.start();
        rig = new PipelineRig(dir, registry, 6);
        rig.startCoordinator();
        rig.startRunner("runner-amd64", List.of("linux/amd64"), List.of(), 1);
        api = rig.api();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (rig != null) {
            rig.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void contextWithAnLfsFile_imageHoldsItsContent_andOtherServicesAreNotFetched() throws Exception {
        GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("monorepo")));
        String image = registry.host() + "/api";
        Map<String, String> files = new LinkedHashMap<>();
        files.put(".gitattributes", "*.bin filter=lfs diff=lfs merge=lfs -text\n");
        files.put(
                ".multiarch.yaml",
                "image: " + image + "\nplatforms: [linux/amd64]\ncontext: services/api\n"
                        + "dockerfile: docker/api.Dockerfile\n");
        files.put("docker/api.Dockerfile", "FROM scratch\nCOPY model.bin /model.bin\nCOPY app.txt /app.txt\n");
        files.put("services/api/app.txt", "the api\n");
        files.put("services/api/model.bin", repo.lfs("the api's real model\n"));
        files.put("services/web/model.bin", repo.lfs("the web's model, not needed\n"));
        String commit = repo.commit("a monorepo", files);
        repo.tag("v1.0.0");
        server = GitHttpServer.serve(Path.of(repo.cloneUrl()), null);

        long id = api.trigger(server.url(), commit, "refs/tags/v1.0.0", true).get(0);
        JsonNode b = api.awaitEnd(id, DEADLINE);
        assertEquals("published", b.path("state").asText(), b.toString());

        Platform amd64 = Platform.parse("linux/amd64");
        assertEquals("the api's real model\n", Skopeo.fileInImage(image + ":1.0.0", amd64, "model.bin"));
        assertEquals("the api\n", Skopeo.fileInImage(image + ":1.0.0", amd64, "app.txt"));
        assertEquals(List.of(GitRepo.oid("the api's real model\n")), server.lfsDownloads(), "the web model: never");
    }
}
