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

    public Signer(RegistryClient client, SigningKey key) {
        this.client = client;
        this.key = key;
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

    /**
     * @param repo       the repository the signed manifest is in (tag and digest ignored)
     * @param identities {@code docker-reference} values, one signature each
     * @throws dev.multiarch.registry.RegistryException when the registry refuses a blob or the tag (immutable tags)
     */
    public Signed sign(ImageReference repo, Digest digest, List<String> identities) {
        if (identities.isEmpty()) {
            throw new IllegalArgumentException("nothing to sign " + digest + " as");
        }
        ImageReference at = repo.withTag(signatureTag(digest));
        List<Descriptor> layers = new ArrayList<>(existing(at));
        int added = 0;
        for (String identity : identities) {
            byte[] payload = new SimpleSigning(identity, digest, Map.of()).toBytes();
            Digest pd = Digest.sha256(payload);
            if (layers.stream().anyMatch(l -> l.digest().equals(pd) && signedByUs(l, payload))) {
                continue;
            }
            String signature = Base64.getEncoder().encodeToString(key.sign(payload));
            Descriptor blob = client.pushBlob(at, MediaType.COSIGN_SIMPLE_SIGNING, payload);
            layers.add(new Descriptor(
                    MediaType.COSIGN_SIMPLE_SIGNING,
                    blob.digest(),
                    blob.size(),
                    null,
                    Map.of(SIGNATURE_ANNOTATION, signature)));
            added++;
        }
        if (added > 0) {
            Descriptor config = client.pushBlob(at, MediaType.OCI_CONFIG, config(layers));
            client.putManifest(at, ImageManifest.assemble(config, layers, Map.of()), "the signatures of " + digest);
        }
        return new Signed(at, digest, added, layers.size());
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
