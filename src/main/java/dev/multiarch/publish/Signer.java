package dev.multiarch.publish;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.base.Json;
import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageManifest;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.MediaType;
import dev.multiarch.registry.RegistryClient;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * Signs a manifest the way {@code cosign sign --key} does without a transparency log (sigstore/cosign
 * specs/SIGNATURE_SPEC.md): the tag {@code sha256-<hex>.sig} in the image's repository holds an OCI image manifest whose
 * layers are {@link SimpleSigning} payloads ({@code application/vnd.dev.cosign.simplesigning.v1+json}), each with its
 * base64 DER ECDSA signature in the {@code dev.cosignproject.cosign/signature} annotation. {@code cosign verify --key}
 * and containers/image's {@code sigstoreSigned} policy read exactly that.
 *
 * <p>One layer per identity ({@code registry/repo:tag} for each tag the image is published under): podman's default
 * identity rule for a pull by tag is an exact match. Signing is a read-modify-write of the tag: layers already there
 * are kept, and a payload already signed by this key is not signed again (cosign's duplicate detection), so publishing
 * the same digest twice leaves the tag as it was. Callers serialise signing per repository (the spec calls the tag
 * update racy).
 */
public final class Signer {
    public static final String SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";

    private final RegistryClient client;
    private final SigningKey key;
    private final Executor executor;

    /** Signs on the calling thread. */
    public Signer(RegistryClient client, SigningKey key) {
        this(client, key, Runnable::run);
    }

    /**
     * @param executor runs the registry requests of several digests at once (reads, then blob uploads, then the tags):
     *                 a registry's uploads cost tens of milliseconds each, and a release signs an index and every image
     */
    public Signer(RegistryClient client, SigningKey key, Executor executor) {
        this.client = client;
        this.key = key;
        this.executor = executor;
    }

    /** The tag holding a digest's signatures: {@code sha256-<hex>.sig}. */
    public static String signatureTag(Digest d) {
        return d.algorithm() + "-" + d.hex() + ".sig";
    }

    /**
     * What was done for one digest.
     *
     * @param added signatures added now; 0 when the tag already held every one
     */
    public record Signed(ImageReference signatures, Digest digest, int added, int layers) {}

    /** What one digest needs: the layers its tag will hold, the payloads to upload, and the config for them. */
    private record Plan(ImageReference at, Digest digest, List<Descriptor> layers, List<byte[]> payloads, int added) {}

    /**
     * @param repo       the repository the signed manifest is in (tag and digest ignored)
     * @param identities {@code docker-reference} values, one signature each
     * @throws dev.multiarch.registry.RegistryException when the registry refuses a blob or the tag (immutable tags)
     */
    public Signed sign(ImageReference repo, Digest digest, List<String> identities) {
        return sign(repo, Map.of(digest, identities)).get(0);
    }

    /**
     * Signs several digests of one repository: every {@code .sig} tag is read, then every new payload and config is
     * uploaded, then every tag is written, each step for all digests at once on the executor.
     *
     * @return one result per digest, in the map's order
     */
    public List<Signed> sign(ImageReference repo, Map<Digest, List<String>> identities) {
        List<Map.Entry<Digest, List<String>>> todo = new ArrayList<>(identities.entrySet());
        for (Map.Entry<Digest, List<String>> e : todo) {
            if (e.getValue().isEmpty()) {
                throw new IllegalArgumentException("nothing to sign " + e.getKey() + " as");
            }
        }
        List<Plan> plans = all(todo, e -> plan(repo, e.getKey(), e.getValue()));
        List<Runnable> uploads = new ArrayList<>();
        for (Plan p : plans) {
            if (p.added() > 0) {
                p.payloads()
                        .forEach(b -> uploads.add(() -> client.pushBlob(p.at(), MediaType.COSIGN_SIMPLE_SIGNING, b)));
                uploads.add(() -> client.pushBlob(p.at(), MediaType.OCI_CONFIG, config(p.layers())));
            }
        }
        all(uploads, u -> {
            u.run();
            return null;
        });
        all(plans.stream().filter(p -> p.added() > 0).toList(), p -> {
            Descriptor config = configDescriptor(p.layers());
            return client.putManifest(
                    p.at(), ImageManifest.assemble(config, p.layers(), Map.of()), "the signatures of " + p.digest());
        });
        return plans.stream()
                .map(p -> new Signed(p.at(), p.digest(), p.added(), p.layers().size()))
                .toList();
    }

    private Plan plan(ImageReference repo, Digest digest, List<String> identities) {
        ImageReference at = repo.withTag(signatureTag(digest));
        List<Descriptor> layers = new ArrayList<>(existing(at));
        List<byte[]> payloads = new ArrayList<>();
        for (String identity : identities) {
            byte[] payload = new SimpleSigning(identity, digest, Map.of()).toBytes();
            Digest pd = Digest.sha256(payload);
            if (layers.stream().anyMatch(l -> l.digest().equals(pd) && signedByUs(l, payload))) {
                continue;
            }
            String signature = Base64.getEncoder().encodeToString(key.sign(payload));
            layers.add(new Descriptor(
                    MediaType.COSIGN_SIMPLE_SIGNING,
                    pd,
                    payload.length,
                    null,
                    Map.of(SIGNATURE_ANNOTATION, signature)));
            payloads.add(payload);
        }
        return new Plan(at, digest, List.copyOf(layers), payloads, payloads.size());
    }

    /** Runs {@code f} over {@code items} on the executor and waits for all; the first failure is thrown. */
    private <T, R> List<R> all(List<T> items, java.util.function.Function<T, R> f) {
        List<CompletableFuture<R>> futures = items.stream()
                .map(i -> CompletableFuture.supplyAsync(() -> f.apply(i), executor))
                .toList();
        List<R> out = new ArrayList<>();
        RuntimeException first = null;
        for (CompletableFuture<R> fu : futures) {
            try {
                out.add(fu.join());
            } catch (CompletionException e) {
                if (first == null) {
                    first = e.getCause() instanceof RuntimeException r ? r : e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
        return out;
    }

    private List<Descriptor> existing(ImageReference at) {
        Optional<Descriptor> head = client.head(at);
        if (head.isEmpty()) {
            return List.of();
        }
        Manifest m = client.getManifest(at);
        if (!m.isImage()) {
            throw new PublishException(at + " exists but is a " + m.mediaType() + ", not a signature manifest;"
                    + " refusing to replace it");
        }
        return m.layers();
    }

    private boolean signedByUs(Descriptor layer, byte[] payload) {
        String b64 = layer.annotations().get(SIGNATURE_ANNOTATION);
        if (b64 == null) {
            return false;
        }
        try {
            return PublicKeys.verify(
                    key.publicKey(), payload, Base64.getDecoder().decode(b64));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static Descriptor configDescriptor(List<Descriptor> layers) {
        byte[] c = config(layers);
        return new Descriptor(MediaType.OCI_CONFIG, Digest.sha256(c), c.length, null, null);
    }

    /**
     * The config cosign writes is go-containerregistry's empty image with one diff id per layer; verifiers ignore it,
     * and this is the same shape without the zero timestamps.
     */
    private static byte[] config(List<Descriptor> layers) {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.put("architecture", "");
        c.put("os", "");
        c.putObject("config");
        ObjectNode rootfs = c.putObject("rootfs");
        rootfs.put("type", "layers");
        ArrayNode ids = rootfs.putArray("diff_ids");
        layers.forEach(l -> ids.add(l.digest().toString()));
        return Json.write(c);
    }
}
