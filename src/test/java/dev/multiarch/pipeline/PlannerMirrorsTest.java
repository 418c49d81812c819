package dev.multiarch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.multiarch.access.AccessPolicy;
import dev.multiarch.config.ServiceConfig.RepositoryRule;
import dev.multiarch.store.NewBuild;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Planning an image published to several registries: each must be allowed; the build keeps the rest as mirrors. */
class PlannerMirrorsTest {
    private static final AccessPolicy POLICY =
            AccessPolicy.of(List.of(new RepositoryRule("acme/*", List.of("ghcr.io/acme/*", "docker.io/acme/*"), null)));

    private static Trigger tag() {
        return Trigger.builder()
                .repo("acme/app")
                .cloneUrl("https://github.com/acme/app.git")
                .commit("c".repeat(40))
                .ref("refs/tags/v1.0.0")
                .push(true)
                .build();
    }

    @Test
    void everyImageAllowed_oneBuild_firstIsTheImage_restAreMirrorsInTheSpec() {
        NewBuild nb = Planner.plan(tag(), "image: [ghcr.io/acme/app, acme/app]\nplatforms: [linux/amd64]\n", POLICY)
                .get(0);
        assertNull(nb.failedWith());
        assertEquals("ghcr.io/acme/app", nb.image().toString());
        BuildSpec spec = BuildSpec.fromJson(nb.spec());
        assertEquals(List.of("docker.io/acme/app"), spec.mirrors());
        assertEquals(
                List.of("ghcr.io/acme/app", "docker.io/acme/app"),
                spec.targets(nb.image().toString()));
    }

    @Test
    void oneImageRefused_buildFails_namingTheImageRefused() {
        NewBuild nb = Planner.plan(
                        tag(),
                        "image: [ghcr.io/acme/app, quay.io/acme/app, docker.io/acme/app]\nplatforms: [linux/amd64]\n",
                        POLICY)
                .get(0);
        assertEquals(
                "image quay.io/acme/app (one of 3 in image:) is refused: repository acme/app may not publish to"
                        + " quay.io/acme/app: the coordinator's repositories: entry 'acme/*' allows only"
                        + " ghcr.io/acme/*, docker.io/acme/*",
                nb.failedWith());
        assertEquals(List.of(), nb.jobs(), "nothing is built");
    }

    @Test
    void storedSpecWithoutMirrors_readsAsOneRegistry() {
        BuildSpec old = BuildSpec.fromJson("{\"dockerfile\":\"Dockerfile\",\"context\":\".\",\"format\":\"auto\"}");
        assertEquals(List.of(), old.mirrors());
        assertEquals(List.of("reg/app"), old.targets("reg/app"));
    }
}
