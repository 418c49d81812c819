package dev.multiarch.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hosted registries one by one, each scripted after its documentation and reported real answers (cited per test).
 * The client is told the real names (docker.io/acme/app, ghcr.io/…); {@link RegistryClient.Builder#withRoute} sends
 * the bytes to a local {@link ScriptedRegistry}, which sees the Host header, token service and scopes a real registry
 * would see. A regression in host mapping, token scope, mount fallback or chunk sizes fails here.
 */
class HostedRegistriesScriptedTest {
    private static final RetryPolicy FAST = new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(5));
    private static final int MIB = 1024 * 1024;
    private static final String LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";

    @TempDir
    Path dir;

    private final List<ScriptedRegistry> registries = new ArrayList<>();

    @AfterEach
    void stop() {
        registries.forEach(ScriptedRegistry::close);
    }

    private ScriptedRegistry registry(String apiHost) throws Exception {
        ScriptedRegistry r = new ScriptedRegistry(apiHost);
        registries.add(r);
        return r;
    }

    private RegistryClient client(CredentialSource creds) {
        return client(creds, Long.MAX_VALUE, RegistryClient.DEFAULT_CHUNK_SIZE);
    }

    private RegistryClient client(CredentialSource creds, long chunkedFrom, long chunk) {
        RegistryClient.Builder b =
                RegistryClient.builder().withCredentials(creds).withRetry(FAST).withChunkedUpload(chunkedFrom, chunk);
        for (ScriptedRegistry r : registries) {
            for (String host : r.hosts()) {
                b.withRoute(host, r.url());
            }
        }
        return b.create();
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    /** A one-layer OCI image whose blobs are in {@code repo} of {@code r}. */
    private static Manifest image(ScriptedRegistry r, String repo) {
        byte[] config = "{\"architecture\":\"arm64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
                .getBytes(StandardCharsets.UTF_8);
        byte[] layer = bytes(1000);
        r.putBlob(repo, config);
        r.putBlob(repo, layer);
        String json = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST
                + "\",\"config\":{\"mediaType\":\""
                + MediaType.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256(config) + "\",\"size\":" + config.length
                + "},\"layers\":[{\"mediaType\":\"" + LAYER + "\",\"digest\":\"" + Digest.sha256(layer)
                + "\",\"size\":" + layer.length + "}]}";
        return Manifest.of(json.getBytes(StandardCharsets.UTF_8), MediaType.OCI_MANIFEST);
    }

    private static String decodedBasic(ScriptedRegistry.Exchange e) {
        String auth = e.headers().get("Authorization");
        assertTrue(auth != null && auth.startsWith("Basic "), "Basic credentials on " + e.line() + ": " + auth);
        return new String(Base64.getDecoder().decode(auth.substring(6)), StandardCharsets.UTF_8);
    }

    private DockerConfig dockerConfig(String json) throws Exception {
        Files.writeString(dir.resolve("config.json"), json);
        return DockerConfig.load(dir).withHelperDirectory(dir);
    }

    /** A docker-credential-NAME that answers {@code answer} for {@code server} only, as the helper protocol says. */
    private void helper(String name, String server, String answer) throws Exception {
        Path helper = dir.resolve("docker-credential-" + name);
        Files.writeString(
                helper,
                "#!/bin/sh\n[ \"$1\" = get ] || exit 3\nread server\nif [ \"$server\" = \"" + server + "\" ]; then\n"
                        + "  echo '" + answer
                        + "'\nelse\n  echo \"credentials not found in native keychain\"; exit 1\nfi\n");
        assertTrue(helper.toFile().setExecutable(true));
    }

    // --- Docker Hub -------------------------------------------------------------------------------------------

    /**
     * Docker Hub's API is registry-1.docker.io; its challenge is {@code Bearer realm="https://auth.docker.io/token",
     * service="registry.docker.io"}; official images are {@code library/<name>} (docker/docs
     * content/manuals/docker-hub/usage/pulls.md, "View pull rate and limit": the token request and the
     * registry-1.docker.io manifest URL).
     */
    @Test
    void dockerHub_everySpelling_reachesRegistry1_underLibrary_withAHubToken() throws Exception {
        ScriptedRegistry hub = registry("registry-1.docker.io")
                .bearer("https://auth.docker.io/token", "registry.docker.io", null, null)
                .anonymousPull();
        Manifest index = Manifest.of(
                ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_INDEX + "\",\"manifests\":[]}").getBytes(),
                MediaType.OCI_INDEX);
        hub.putManifest("library/busybox", "1.36", index);
        try (RegistryClient c = client(CredentialSource.NONE)) {
            for (ImageReference ref : List.of(
                    ImageReference.parse("busybox:1.36"),
                    ImageReference.parse("docker.io/busybox:1.36"),
                    ImageReference.parse("index.docker.io/library/busybox:1.36"),
                    ImageReference.parse("registry-1.docker.io/busybox:1.36"),
                    new ImageReference("index.docker.io", "busybox", "1.36", null))) {
                assertEquals(index.digest(), c.getManifest(ref).digest(), ref.toString());
            }
        }
        assertEquals(
                List.of(
                        "GET registry-1.docker.io /v2/library/busybox/manifests/1.36 401",
                        "GET auth.docker.io /token 200",
                        "GET registry-1.docker.io /v2/library/busybox/manifests/1.36 200",
                        "GET registry-1.docker.io /v2/library/busybox/manifests/1.36 200",
                        "GET registry-1.docker.io /v2/library/busybox/manifests/1.36 200",
                        "GET registry-1.docker.io /v2/library/busybox/manifests/1.36 200",
                        "GET registry-1.docker.io /v2/library/busybox/manifests/1.36 200"),
                hub.lines(),
                "one token for the scope, then every spelling is the same repository");
        ScriptedRegistry.Exchange token = hub.tokenRequests().get(0);
        assertEquals("registry.docker.io", token.url().queryParameter("service"));
        assertEquals(List.of("repository:library/busybox:pull"), token.url().queryParameterValues("scope"));
        assertNull(token.headers().get("Authorization"), "anonymous pull");
    }

    /**
     * {@code docker login} writes Docker Hub's credentials under {@code https://index.docker.io/v1/} (docker-cli
     * login reference); they must reach auth.docker.io for a push scope.
     */
    @Test
    void dockerHub_loginUnderTheIndexV1Key_isUsedForThePushToken() throws Exception {
        ScriptedRegistry hub = registry("registry-1.docker.io")
                .bearer("https://auth.docker.io/token", "registry.docker.io", "alice", "s3cret-pw");
        Manifest m = image(hub, "acme/app");
        String auth = Base64.getEncoder().encodeToString("alice:s3cret-pw".getBytes(StandardCharsets.UTF_8));
        DockerConfig config = dockerConfig("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"" + auth + "\"}}}");
        try (RegistryClient c = client(config)) {
            c.putManifest(ImageReference.parse("docker.io/acme/app:1.0"), m, "the image");
        }
        ScriptedRegistry.Exchange token = hub.tokenRequests().get(0);
        assertEquals("alice:s3cret-pw", decodedBasic(token));
        assertEquals(List.of("repository:acme/app:pull,push"), token.url().queryParameterValues("scope"));
        assertTrue(hub.hasManifest("acme/app", "1.0"));
    }

    /**
     * A mount needs a token for both repositories: a token scoped to the target alone cannot mount from another
     * (bazel-contrib/rules_img docs/registry-support.md); Docker Hub then opens an upload instead of mounting.
     */
    @Test
    void dockerHub_mountFromAnotherRepository_asksOneTokenForBothScopes() throws Exception {
        ScriptedRegistry hub = registry("registry-1.docker.io")
                .bearer("https://auth.docker.io/token", "registry.docker.io", "alice", "pw");
        byte[] layer = bytes(5000);
        hub.putBlob("acme/base", layer);
        Descriptor blob = new Descriptor(LAYER, Digest.sha256(layer), layer.length, null, null);
        try (RegistryClient c = client(CredentialSource.forRegistry("docker.io", Credentials.basic("alice", "pw")))) {
            c.copyBlob(ImageReference.parse("acme/base"), ImageReference.parse("acme/app"), blob);
        }
        ScriptedRegistry.Exchange mount =
                hub.matching("POST", "/v2/acme/app/blobs/uploads/").get(0);
        assertEquals(201, mount.status(), hub.lines().toString());
        assertEquals(blob.digest().toString(), mount.url().queryParameter("mount"));
        assertEquals("acme/base", mount.url().queryParameter("from"));
        assertTrue(hub.matching("GET", "/blobs/").isEmpty(), "mounted, not copied: " + hub.lines());
        List<String> scopes = hub.tokenRequests().get(1).url().queryParameterValues("scope");
        assertTrue(
                scopes.containsAll(List.of("repository:acme/app:pull,push", "repository:acme/base:pull")),
                scopes.toString());
        assertArrayEquals(layer, hub.blob("acme/app", blob.digest()));
    }

    /**
     * Over the pull limit Docker Hub answers 429 with {@code TOOMANYREQUESTS} and the limit in
     * {@code ratelimit-limit} / {@code ratelimit-remaining} (docker/docs content/manuals/docker-hub/usage/pulls.md;
     * the message as docker prints it: "toomanyrequests: You have reached your pull rate limit…").
     */
    @Test
    void dockerHub_pullRateLimit_isRetriedWithBackoff_thenNamesTheLimit() throws Exception {
        ScriptedRegistry hub = registry("registry-1.docker.io")
                .bearer("https://auth.docker.io/token", "registry.docker.io", null, null)
                .anonymousPull();
        hub.before(r -> r.getMethod().equals("GET")
                        && r.getTarget().contains("/manifests/")
                        && r.getHeaders().get("Authorization") != null
                ? new MockResponse.Builder()
                        .code(429)
                        .addHeader("Content-Type", "application/json")
                        .addHeader("ratelimit-limit", "100;w=21600")
                        .addHeader("ratelimit-remaining", "0;w=21600")
                        .addHeader("docker-ratelimit-source", "192.0.2.1")
                        .body("{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"You have reached your pull rate"
                                + " limit. You may increase the limit by authenticating and upgrading:"
                                + " https://www.docker.com/increase-rate-limit\"}]}")
                        .build()
                : null);
        try (RegistryClient c = client(CredentialSource.NONE)) {
            RegistryException e =
                    assertThrows(RegistryException.class, () -> c.getManifest(ImageReference.parse("busybox:latest")));
            assertEquals("TOOMANYREQUESTS", e.code());
            assertEquals(429, e.httpStatus());
            assertTrue(e.getMessage().contains("You have reached your pull rate limit"), e.getMessage());
            assertTrue(
                    e.getMessage()
                            .contains("Docker Hub's pull rate limit: 100 pulls per 6 h, 0 left; retried 4 times with"
                                    + " backoff; authenticated pulls get a higher limit"),
                    e.getMessage());
        }
        assertEquals(
                4,
                hub.matching("GET", "/manifests/").stream()
                        .filter(x -> x.status() == 429)
                        .count());
    }

    /** Docker Hub's abuse limit is a bare 429 (docs.docker.com/docker-hub/usage/, "other limits"). */
    @Test
    void bare429_saysRateLimitedWithoutInventingALimit() throws Exception {
        ScriptedRegistry hub = registry("registry-1.docker.io");
        hub.before(r -> new MockResponse.Builder()
                .code(429)
                .addHeader("Retry-After", "0")
                .body("Too Many Requests (HAP429).")
                .build());
        try (RegistryClient c = client(CredentialSource.NONE)) {
            RegistryException e =
                    assertThrows(RegistryException.class, () -> c.head(ImageReference.parse("acme/app:1")));
            assertEquals("HTTP 429", e.code());
            assertTrue(
                    e.getMessage()
                            .endsWith("— docker.io is rate limiting these requests; retried 4 times with backoff"
                                    + " (honouring Retry-After)"),
                    e.getMessage());
        }
    }

    // --- GHCR -------------------------------------------------------------------------------------------------

    /**
     * GHCR: {@code Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull"}, and
     * anonymous tokens for public images (devcontainers/cli#341: "GHCR and ACR require this token exchange even for
     * anonymous access"). GHCR reads a multi-arch image's description from the OCI index's annotations (GitHub docs,
     * "Connecting a repository to a package"): the index is asked for first.
     */
    @Test
    void ghcr_publicImage_anonymousTokenFromGhcrToken_ociIndexAskedFirst() throws Exception {
        ScriptedRegistry ghcr = registry("ghcr.io")
                .bearer("https://ghcr.io/token", "ghcr.io", null, null)
                .anonymousPull();
        Manifest index = Manifest.of(
                ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_INDEX + "\",\"manifests\":[],"
                                + "\"annotations\":{\"org.opencontainers.image.description\":\"hello\"}}")
                        .getBytes(),
                MediaType.OCI_INDEX);
        ghcr.putManifest("acme/app", "1.0", index);
        try (RegistryClient c = client(CredentialSource.NONE)) {
            Manifest m = c.getManifest(ImageReference.parse("ghcr.io/acme/app:1.0"));
            assertEquals(MediaType.OCI_INDEX, m.mediaType());
        }
        ScriptedRegistry.Exchange token = ghcr.tokenRequests().get(0);
        assertEquals("ghcr.io", token.host());
        assertEquals("ghcr.io", token.url().queryParameter("service"));
        assertEquals(List.of("repository:acme/app:pull"), token.url().queryParameterValues("scope"));
        assertNull(token.headers().get("Authorization"));
        String accept = ghcr.matching("GET", "/manifests/").get(0).headers().get("Accept");
        assertTrue(accept.startsWith(MediaType.OCI_INDEX), accept);
    }

    /** GHCR takes at most 4 MiB per PATCH and answers 416 above (ocx-sh/ocx#237, cirruslabs/tart#159). */
    @Test
    void ghcr_chunkedCopyFromAnotherRegistry_keepsEveryPatchWithin4MiB() throws Exception {
        ScriptedRegistry source = registry("registry.example.com");
        ScriptedRegistry ghcr = registry("ghcr.io")
                .bearer("https://ghcr.io/token", "ghcr.io", "octocat", "ghp_notarealtoken")
                .maxPatch(4 * MIB);
        byte[] layer = bytes(10 * MIB);
        source.putBlob("team/base", layer);
        Descriptor blob = new Descriptor(LAYER, Digest.sha256(layer), layer.length, null, null);
        CredentialSource creds =
                CredentialSource.forRegistry("ghcr.io", Credentials.basic("octocat", "ghp_notarealtoken"));
        try (RegistryClient c = client(creds, MIB, 16L * MIB)) {
            c.copyBlob(
                    ImageReference.parse("registry.example.com/team/base"),
                    ImageReference.parse("ghcr.io/acme/app"),
                    blob);
        }
        assertEquals(List.of(4L * MIB, 4L * MIB, 2L * MIB), ghcr.patchSizes());
        assertArrayEquals(layer, ghcr.blob("acme/app", blob.digest()));
        assertEquals(
                "octocat:ghp_notarealtoken", decodedBasic(ghcr.tokenRequests().get(0)));
    }

    // --- Quay -------------------------------------------------------------------------------------------------

    /**
     * Quay: {@code Bearer realm="https://quay.io/v2/auth",service="quay.io"}; robot accounts are
     * {@code <org>+<name>} with a token as password (Red Hat Quay API docs); {@code mount} without {@code from} fails
     * (go-containerregistry pkg/v1/remote/write.go).
     */
    @Test
    void quay_robotAccount_mountSendsFrom() throws Exception {
        ScriptedRegistry quay = registry("quay.io")
                .bearer("https://quay.io/v2/auth", "quay.io", "acme+ci", "ROBOTTOKEN")
                .mountNeedsFrom();
        byte[] layer = bytes(3000);
        quay.putBlob("acme/base", layer);
        Descriptor blob = new Descriptor(LAYER, Digest.sha256(layer), layer.length, null, null);
        try (RegistryClient c =
                client(CredentialSource.forRegistry("quay.io", Credentials.basic("acme+ci", "ROBOTTOKEN")))) {
            c.copyBlob(ImageReference.parse("quay.io/acme/base"), ImageReference.parse("quay.io/acme/app"), blob);
        }
        ScriptedRegistry.Exchange mount =
                quay.matching("POST", "/blobs/uploads/").get(0);
        assertEquals(201, mount.status(), quay.lines().toString());
        assertEquals("acme/base", mount.url().queryParameter("from"));
        assertEquals("acme+ci:ROBOTTOKEN", decodedBasic(quay.tokenRequests().get(0)));
        assertEquals("quay.io", quay.tokenRequests().get(0).url().queryParameter("service"));
    }

    /**
     * Quay has answered with both schemes in one header, Basic first (reported in third-party test fixtures); the token
     * flow is preferred, as docker's client does.
     */
    @Test
    void bothSchemesOffered_theTokenFlowIsPreferred() throws Exception {
        ScriptedRegistry quay = registry("quay.io")
                .bearer("https://quay.io/v2/auth", "quay.io", "acme+ci", "ROBOTTOKEN")
                .anonymousPull();
        quay.putManifest("acme/app", "1", image(quay, "acme/app"));
        quay.before(r -> r.getHeaders().get("Host").equals("quay.io")
                        && r.getTarget().startsWith("/v2/acme")
                        && r.getHeaders().get("Authorization") == null
                ? new MockResponse.Builder()
                        .code(401)
                        .addHeader(
                                "WWW-Authenticate",
                                "Basic realm=\"quay.io\", Bearer realm=\"https://quay.io/v2/auth\",service=\"quay.io\"")
                        .build()
                : null);
        try (RegistryClient c =
                client(CredentialSource.forRegistry("quay.io", Credentials.basic("acme+ci", "ROBOTTOKEN")))) {
            c.getManifest(ImageReference.parse("quay.io/acme/app:1"));
        }
        assertEquals(1, quay.tokenRequests().size(), quay.lines().toString());
        assertTrue(quay.matching("GET", "/manifests/")
                .get(1)
                .headers()
                .get("Authorization")
                .startsWith("Bearer "));
    }

    // --- Amazon ECR -------------------------------------------------------------------------------------------

    private static final String ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

    /**
     * ECR: Basic challenge {@code Basic realm="https://<account>.dkr.ecr.<region>.amazonaws.com/",
     * service="ecr.amazonaws.com"} (as quoted in mayflower/docker-ls#28), user {@code AWS} and a token from
     * {@code docker-credential-ecr-login} (awslabs/amazon-ecr-credential-helper). Blob mounting is off unless the
     * account enables BLOB_MOUNTING (docs.aws.amazon.com/AmazonECR/latest/userguide/blob-mounting.html): the mount
     * POST opens an upload (202) and the blob must be copied into it.
     */
    @Test
    void ecr_mountAnsweredWithAnUpload_blobIsCopied_credentialsFromEcrLogin() throws Exception {
        ScriptedRegistry ecr = registry(ECR)
                .basic("https://" + ECR + "/", "ecr.amazonaws.com", "AWS", "ecr-password-xyz")
                .noMounts();
        byte[] layer = bytes(40_000);
        ecr.putBlob("team/base", layer);
        Descriptor blob = new Descriptor(LAYER, Digest.sha256(layer), layer.length, null, null);
        helper(
                "ecr-login",
                ECR,
                "{\"ServerURL\":\"" + ECR + "\",\"Username\":\"AWS\",\"Secret\":\"ecr-password-xyz\"}");
        DockerConfig config = dockerConfig("{\"credHelpers\":{\"" + ECR + "\":\"ecr-login\"}}");
        try (RegistryClient c = client(config)) {
            c.copyBlob(ImageReference.parse(ECR + "/team/base"), ImageReference.parse(ECR + "/team/app"), blob);
        }
        List<String> lines = ecr.lines();
        assertTrue(lines.contains("POST " + ECR + " /v2/team/app/blobs/uploads/ 202"), lines.toString());
        assertTrue(lines.contains("GET " + ECR + " /v2/team/base/blobs/" + blob.digest() + " 200"), lines.toString());
        ScriptedRegistry.Exchange put =
                ecr.matching("PUT", "/v2/team/app/blobs/uploads/").get(0);
        assertEquals(201, put.status());
        assertEquals(layer.length, put.bodySize());
        assertEquals("AWS:ecr-password-xyz", decodedBasic(put));
        assertArrayEquals(layer, ecr.blob("team/app", blob.digest()));
    }

    /**
     * ECR stores chunks as S3 multipart parts, at least 5 MiB each but the last (dotnet/sdk Registry.cs), and has
     * answered a PATCH with 201 (cirruslabs/tart#273). Asked for 1 MiB chunks, the client sends 5 MiB ones.
     */
    @Test
    void ecr_chunkedCopy_partsOfAtLeast5MiB_and201AfterPatch() throws Exception {
        ScriptedRegistry source = registry("registry.example.com");
        ScriptedRegistry ecr = registry(ECR)
                .basic("https://" + ECR + "/", "ecr.amazonaws.com", "AWS", "pw")
                .noMounts()
                .minPart(5L * MIB)
                .patchStatus(201);
        byte[] layer = bytes(12 * MIB);
        source.putBlob("team/base", layer);
        Descriptor blob = new Descriptor(LAYER, Digest.sha256(layer), layer.length, null, null);
        try (RegistryClient c = client(CredentialSource.forRegistry(ECR, Credentials.basic("AWS", "pw")), MIB, MIB)) {
            c.copyBlob(
                    ImageReference.parse("registry.example.com/team/base"),
                    ImageReference.parse(ECR + "/team/app"),
                    blob);
        }
        assertEquals(List.of(5L * MIB, 5L * MIB, 2L * MIB), ecr.patchSizes());
        assertArrayEquals(layer, ecr.blob("team/app", blob.digest()));
    }

    // --- Google Artifact Registry -----------------------------------------------------------------------------

    private static final String GAR = "us-central1-docker.pkg.dev";

    /**
     * Artifact Registry: {@code LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE}; tokens from
     * {@code https://LOCATION-docker.pkg.dev/v2/token} (apple/container#1026 shows the challenge);
     * {@code gcloud auth configure-docker} sets credHelper {@code gcloud}, whose answer has Username
     * {@code _dcgcloud_token} (GoogleCloudPlatform/docker-credential-gcr#129); chunked uploads are not supported (AR
     * Docker API reference, quoted in dotnet/sdk-container-builds#287): a large blob goes in one PUT.
     */
    @Test
    void artifactRegistry_gcloudHelper_projectPaths_noChunksEvenForLargeBlobs() throws Exception {
        ScriptedRegistry source = registry("registry.example.com");
        ScriptedRegistry gar = registry(GAR)
                .bearer("https://" + GAR + "/v2/token", GAR, "_dcgcloud_token", "ya29.not-a-token")
                .noChunks();
        byte[] layer = bytes(3 * MIB);
        source.putBlob("team/base", layer);
        Descriptor blob = new Descriptor(LAYER, Digest.sha256(layer), layer.length, null, null);
        helper("gcloud", GAR, "{\"Username\":\"_dcgcloud_token\",\"Secret\":\"ya29.not-a-token\"}");
        DockerConfig config = dockerConfig("{\"credHelpers\":{\"" + GAR + "\":\"gcloud\"}}");
        try (RegistryClient c = client(config, MIB, 256 * 1024)) {
            c.copyBlob(
                    ImageReference.parse("registry.example.com/team/base"),
                    ImageReference.parse(GAR + "/my-project/my-repo/app"),
                    blob);
        }
        assertTrue(gar.patchSizes().isEmpty(), gar.lines().toString());
        ScriptedRegistry.Exchange put =
                gar.matching("PUT", "/v2/my-project/my-repo/app/blobs/uploads/").get(0);
        assertEquals(layer.length, put.bodySize());
        List<ScriptedRegistry.Exchange> tokens = gar.tokenRequests();
        for (ScriptedRegistry.Exchange token : tokens) {
            assertEquals("_dcgcloud_token:ya29.not-a-token", decodedBasic(token));
            assertEquals(GAR, token.url().queryParameter("service"));
        }
        assertEquals(
                List.of(
                        List.of("repository:my-project/my-repo/app:pull"),
                        List.of("repository:my-project/my-repo/app:pull,push")),
                tokens.stream().map(t -> t.url().queryParameterValues("scope")).toList());
        assertArrayEquals(layer, gar.blob("my-project/my-repo/app", blob.digest()));
    }

    // --- Harbor -----------------------------------------------------------------------------------------------

    private static final String HARBOR = "harbor.example.com";

    /**
     * Harbor: {@code Bearer realm="https://<host>/service/token",service="harbor-registry"}; paths are
     * {@code project/repository} (repositories may nest); robot accounts are {@code robot$<project>+<name>}, and the
     * {@code $} must survive every layer (goharbor/harbor#7944, #13982).
     */
    @Test
    void harbor_robotAccount_dollarSurvivesIntoBasicAuth_projectScopedToken() throws Exception {
        ScriptedRegistry harbor = registry(HARBOR)
                .bearer("https://" + HARBOR + "/service/token", "harbor-registry", "robot$myproject+ci", "s3cr3t");
        Manifest m = image(harbor, "myproject/team/app");
        String auth = Base64.getEncoder().encodeToString("robot$myproject+ci:s3cr3t".getBytes(StandardCharsets.UTF_8));
        DockerConfig config = dockerConfig("{\"auths\":{\"" + HARBOR + "\":{\"auth\":\"" + auth + "\"}}}");
        try (RegistryClient c = client(config)) {
            c.putManifest(ImageReference.parse(HARBOR + "/myproject/team/app:1.0"), m, "the image");
        }
        ScriptedRegistry.Exchange token = harbor.tokenRequests().get(0);
        assertEquals("/service/token", token.url().encodedPath());
        assertEquals("robot$myproject+ci:s3cr3t", decodedBasic(token));
        assertEquals("harbor-registry", token.url().queryParameter("service"));
        assertEquals(
                List.of("repository:myproject/team/app:pull,push"), token.url().queryParameterValues("scope"));
        assertTrue(harbor.hasManifest("myproject/team/app", "1.0"));
    }

    @Test
    void harbor_robotAccountRefused_namesTheRobotNotTheSecret() throws Exception {
        registry(HARBOR)
                .bearer("https://" + HARBOR + "/service/token", "harbor-registry", "robot$myproject+ci", "right");
        CredentialSource creds =
                CredentialSource.forRegistry(HARBOR, Credentials.basic("robot$myproject+ci", "wrong-secret"));
        try (RegistryClient c = client(creds)) {
            RegistryException e = assertThrows(
                    RegistryException.class, () -> c.getManifest(ImageReference.parse(HARBOR + "/myproject/app:1")));
            assertEquals("UNAUTHORIZED", e.code());
            assertTrue(e.getMessage().contains("user 'robot$myproject+ci'"), e.getMessage());
            assertFalse(e.getMessage().contains("wrong-secret"), e.getMessage());
        }
    }
}
