package dev.multiarch.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.platform.Platform;
import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageManifest;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.IndexType;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.MediaType;
import dev.multiarch.registry.RegistryClient;
import dev.multiarch.registry.RegistryException;
import dev.multiarch.testing.CliRun;
import dev.multiarch.testing.Proc;
import dev.multiarch.testing.RegistryProxy;
import dev.multiarch.testing.RegistryServer;
import dev.multiarch.testing.Skopeo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signatures in a real registry (distribution 2.8), judged by tools that share no code with the signer: skopeo reads
 * the {@code .sig} manifest and copies its payload blob out, openssl checks the ECDSA signature over those bytes, and
 * the test reads the payload's digest itself. Keys are made by openssl for this run. {@code multiarch verify} is
 * checked against the same cases, exit codes included.
 */
class SigningIT {
    @TempDir
    static Path dir;

    private static RegistryServer registry;
    private static RegistryClient client;
    private static SigningKey key;
    private static Path publicPem;
    private static Path otherPublicPem;

    @BeforeAll
    static void start() throws IOException {
        registry = RegistryServer.start();
        client = RegistryClient.builder().create();
        Path k = dir.resolve("key.pem");
        Proc.ok(List.of(
                "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", k.toString()));
        publicPem = dir.resolve("pub.pem");
        Proc.ok(List.of("openssl", "pkey", "-in", k.toString(), "-pubout", "-out", publicPem.toString()));
        key = SigningKey.load(k, new char[0]);
        Path other = dir.resolve("other.pem");
        Proc.ok(List.of(
                "openssl",
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                other.toString()));
        otherPublicPem = dir.resolve("other.pub.pem");
        Proc.ok(List.of("openssl", "pkey", "-in", other.toString(), "-pubout", "-out", otherPublicPem.toString()));
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    /** A small image pushed by digest: a config naming the platform and one (random) layer. */
    private static Descriptor image(RegistryClient c, ImageReference repo, String platform) {
        Platform p = Platform.parse(platform);
        byte[] config = ("{\"architecture\":\"" + p.architecture() + "\",\"os\":\"" + p.os()
                        + "\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}")
                .getBytes(StandardCharsets.UTF_8);
        byte[] layer = new byte[512];
        new java.util.Random().nextBytes(layer);
        Descriptor cfg = c.pushBlob(repo, MediaType.OCI_CONFIG, config);
        Descriptor l = c.pushBlob(repo, "application/vnd.oci.image.layer.v1.tar+gzip", layer);
        Manifest m = ImageManifest.assemble(cfg, List.of(l), Map.of());
        c.putManifest(repo.withDigest(m.digest()), m, "a test image");
        return m.descriptor().withPlatform(p);
    }

    /** Publishes a two-platform index to {@code tags}, signing index and images before any tag, as the pipeline does. */
    private static IndexPublisher.Result publishSigned(RegistryClient c, ImageReference repo, List<String> tags) {
        List<Entry> entries = List.of(
                new Entry(image(c, repo, "linux/amd64"), "amd64"), new Entry(image(c, repo, "linux/arm64"), "arm64"));
        Signer signer = new Signer(c, key);
        return new IndexPublisher(c)
                .publish(
                        repo.withTag(tags.get(0)),
                        tags.subList(1, tags.size()),
                        entries,
                        IndexType.OCI,
                        Map.of("org.opencontainers.image.title", "signed"),
                        false,
                        (target, index, children, t) -> {
                            List<String> ids = t.stream()
                                    .map(x -> repo.withTag(x).toString())
                                    .toList();
                            signer.sign(repo, index.digest(), ids);
                            children.forEach(ch -> signer.sign(repo, ch.digest(), ids));
                        });
    }

    private static Path payloadDir(String ref) throws IOException {
        Path out = Files.createTempDirectory(dir, "sig");
        Files.delete(out);
        Proc.ok(List.of("skopeo", "copy", "-q", "--src-tls-verify=false", "docker://" + ref, "dir:" + out));
        return out;
    }

    private static int openssl(Path pub, byte[] payload, byte[] der) throws IOException {
        Path p = Files.createTempFile(dir, "payload", "");
        Path s = Files.createTempFile(dir, "sig", ".der");
        Files.write(p, payload);
        Files.write(s, der);
        return Proc.run(
                        List.of(
                                "openssl",
                                "dgst",
                                "-sha256",
                                "-verify",
                                pub.toString(),
                                "-signature",
                                s.toString(),
                                p.toString()),
                        null,
                        60)
                .exit();
    }

    private static String sigTag(String repo, Digest d) {
        return repo + ":sha256-" + d.hex() + ".sig";
    }

    @Test
    void signedIndex_payloadsFromSkopeo_verifyWithOpenssl_andNameTheDigestAndEachTag() throws IOException {
        ImageReference repo = ImageReference.parse(registry.host() + "/signed");
        IndexPublisher.Result r = publishSigned(client, repo, List.of("1.0.0", "latest"));
        List<Digest> signed = new ArrayList<>(List.of(r.digest()));
        r.entries().forEach(e -> signed.add(e.digest()));
        for (Digest d : signed) {
            String ref = sigTag(registry.host() + "/signed", d);
            JsonNode sig = Skopeo.parse(Skopeo.raw(ref, null));
            assertEquals(MediaType.OCI_MANIFEST, sig.path("mediaType").asText(), "containers/image wants OCI");
            assertEquals(2, sig.path("layers").size(), "one signature per tag");
            Path blobs = payloadDir(ref);
            List<String> identities = new ArrayList<>();
            for (JsonNode layer : sig.path("layers")) {
                assertEquals(
                        MediaType.COSIGN_SIMPLE_SIGNING, layer.path("mediaType").asText());
                byte[] payload = Files.readAllBytes(
                        blobs.resolve(layer.path("digest").asText().substring("sha256:".length())));
                byte[] der = Base64.getDecoder()
                        .decode(layer.at("/annotations/dev.cosignproject.cosign~1signature")
                                .asText());
                assertEquals(0, openssl(publicPem, payload, der), "openssl verifies the signature of " + ref);
                JsonNode p = Skopeo.parse(new String(payload, StandardCharsets.UTF_8));
                assertEquals(
                        d.toString(),
                        p.at("/critical/image/docker-manifest-digest").asText());
                assertEquals(
                        "cosign container image signature",
                        p.at("/critical/type").asText());
                assertTrue(p.has("optional") && p.path("optional").isNull(), p.toString());
                identities.add(p.at("/critical/identity/docker-reference").asText());
            }
            assertEquals(List.of(registry.host() + "/signed:1.0.0", registry.host() + "/signed:latest"), identities);
        }
        CliRun.Result v =
                CliRun.run("verify", registry.host() + "/signed:latest", "--key", publicPem.toString(), "--all");
        assertEquals(0, v.exit(), v.toString());
        assertEquals(3, v.out().lines().filter(l -> l.startsWith("Verified ")).count(), v.toString());
        assertTrue(v.out().contains("(index): signed by the key as " + registry.host() + "/signed:1.0.0"), v.out());
        assertTrue(v.out().contains("(linux/arm64)"), v.out());
    }

    @Test
    void tamperedPayload_failsOpensslAndMultiarchVerify() throws IOException {
        ImageReference repo = ImageReference.parse(registry.host() + "/tampered");
        IndexPublisher.Result r = publishSigned(client, repo, List.of("2.0.0"));
        ImageReference at = repo.withTag(Signer.signatureTag(r.digest()));
        Manifest sig = client.getManifest(at);
        Descriptor layer = sig.layers().get(0);
        byte[] payload = client.readBlob(at, layer.digest(), java.io.InputStream::readAllBytes);
        byte[] tampered = new String(payload, StandardCharsets.UTF_8)
                .replace(repo + ":2.0.0", repo + ":evil")
                .getBytes(StandardCharsets.UTF_8);
        byte[] der = Base64.getDecoder().decode(layer.annotations().get(Signer.SIGNATURE_ANNOTATION));
        assertEquals(0, openssl(publicPem, payload, der), "the original verifies");
        assertEquals(1, openssl(publicPem, tampered, der), "openssl refuses the tampered payload");
        Descriptor t = client.pushBlob(at, MediaType.COSIGN_SIMPLE_SIGNING, tampered);
        Descriptor swapped = new Descriptor(layer.mediaType(), t.digest(), t.size(), null, layer.annotations());
        client.putManifest(at, ImageManifest.assemble(sig.config(), List.of(swapped), Map.of()), "tampered");

        CliRun.Result v = CliRun.run("verify", repo + ":2.0.0", "--key", publicPem.toString());
        assertEquals(3, v.exit(), v.toString());
        assertTrue(v.out().startsWith("NOT verified " + repo + "@" + r.digest() + " (index)"), v.out());
        assertTrue(
                v.err()
                        .contains("signature 1 of 1: the signature does not verify with this key (payload "
                                + t.digest().shortForm() + ")"),
                v.err());
    }

    @Test
    void signatureCopiedToAnotherDigest_otherKey_orNone_areNotVerified() {
        ImageReference repo = ImageReference.parse(registry.host() + "/copied");
        IndexPublisher.Result r = publishSigned(client, repo, List.of("3.0.0"));
        Descriptor unsigned = image(client, repo, "linux/amd64");
        client.putManifest(repo.withTag("unsigned"), client.getManifest(repo.withDigest(unsigned.digest())), "x");

        CliRun.Result none = CliRun.run("verify", repo + ":unsigned", "--key", publicPem.toString());
        assertEquals(3, none.exit(), none.toString());
        assertTrue(
                none.err()
                        .contains("no signature: " + repo + ":" + Signer.signatureTag(unsigned.digest())
                                + " does not exist"),
                none.err());

        // A valid signature, but of the index, moved to the unsigned image's .sig tag.
        Manifest sig = client.getManifest(repo.withTag(Signer.signatureTag(r.digest())));
        client.putManifest(repo.withTag(Signer.signatureTag(unsigned.digest())), sig, "copied signature");
        CliRun.Result copied = CliRun.run("verify", repo + ":unsigned", "--key", publicPem.toString());
        assertEquals(3, copied.exit(), copied.toString());
        assertTrue(copied.err().contains("signed, but for " + r.digest() + ", not " + unsigned.digest()), copied.err());

        CliRun.Result other = CliRun.run("verify", repo + ":3.0.0", "--key", otherPublicPem.toString());
        assertEquals(3, other.exit(), other.toString());
        assertTrue(other.err().contains("does not verify with this key"), other.err());

        CliRun.Result badKey = CliRun.run(
                "verify", repo + ":3.0.0", "--key", dir.resolve("key.pem").toString());
        assertEquals(2, badKey.exit(), badKey.toString());
        assertTrue(badKey.err().contains("holds a PRIVATE KEY; expected a PUBLIC KEY"), badKey.err());
    }

    @Test
    void signingAgain_addsNothing_aNewTagAddsOneSignature() {
        ImageReference repo = ImageReference.parse(registry.host() + "/again");
        IndexPublisher.Result r = publishSigned(client, repo, List.of("4.0.0"));
        ImageReference at = repo.withTag(Signer.signatureTag(r.digest()));
        Digest before = client.getManifest(at).digest();
        Signer signer = new Signer(client, key);
        Signer.Signed same =
                signer.sign(repo, r.digest(), List.of(repo.withTag("4.0.0").toString()));
        assertEquals(0, same.added());
        assertEquals(before, client.getManifest(at).digest(), "the .sig tag did not change");
        Signer.Signed more = signer.sign(
                repo,
                r.digest(),
                List.of(repo.withTag("4.0.0").toString(), repo.withTag("4").toString()));
        assertEquals(1, more.added());
        assertEquals(2, client.getManifest(at).layers().size());
    }

    @Test
    void attestationManifest_isNeverVerifiedAsAPlatformImage() {
        ImageReference repo = ImageReference.parse(registry.host() + "/attested");
        Descriptor amd64 = image(client, repo, "linux/amd64");
        byte[] statement = Provenance.builder("http://ci.example", amd64.digest(), "pkg:docker/x@1", amd64.platform())
                .create()
                .statement();
        Descriptor att = new Attestations(client).push(repo, amd64.digest(), statement, Provenance.PREDICATE_TYPE);
        assertTrue(att.isAttestation());
        assertEquals(amd64.digest().toString(), att.attests());
        Verifier.Failed f = assertThrows(Verifier.Failed.class, () -> new Verifier(client)
                .verify(repo, att.digest(), Platform.parse("linux/amd64"), 1));
        assertTrue(
                f.getMessage().contains("is an attestation manifest (in-toto layers), not a platform image"),
                f.getMessage());
    }

    @Test
    void registryRefusesTheSignature_noTagMoves() throws IOException {
        try (RegistryProxy proxy = new RegistryProxy(registry.host()).refuse("PUT", ".sig", 400, "TAG_INVALID");
                RegistryClient viaProxy = RegistryClient.builder().create()) {
            ImageReference repo = ImageReference.parse(proxy.host() + "/refused");
            RegistryException e = assertThrows(
                    RegistryException.class, () -> publishSigned(viaProxy, repo, List.of("5.0.0", "latest")));
            assertTrue(e.getMessage().contains("TAG_INVALID"), e.getMessage());
            assertEquals(List.of(), Skopeo.tags(registry.host() + "/refused"), "no tag points at the index");
            assertFalse(proxy.matching("PUT", "/manifests/").stream()
                    .anyMatch(x -> x.path().endsWith("/5.0.0") || x.path().endsWith("/latest")));
        }
    }
}
