package dev.multiarch.publish;

import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.MediaType;
import dev.multiarch.registry.RegistryClient;
import dev.multiarch.registry.RegistryException;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Checks a digest's cosign signatures with a public key, as {@code cosign verify --key --insecure-ignore-tlog} does:
 * the {@code sha256-<hex>.sig} manifest, each simple-signing layer's payload from the registry (its digest checked on
 * the way), the ECDSA signature in its annotation, then the payload's {@code docker-manifest-digest} against the
 * digest. One layer that passes every check is enough; the others are reported.
 */
public final class SignatureCheck {
    /** Payloads are about 250 bytes; refuse to read a "payload" past this. */
    static final int MAX_PAYLOAD = 64 * 1024;

    private final RegistryClient client;

    public SignatureCheck(RegistryClient client) {
        this.client = client;
    }

    /**
     * @param valid    the identities ({@code docker-reference}) of the signatures that verify
     * @param problems one line for each layer that did not verify, or why there is nothing to check
     */
    public record Result(ImageReference signatures, Digest digest, List<String> valid, List<String> problems) {
        public boolean verified() {
            return !valid.isEmpty();
        }
    }

    /** @throws RegistryException when the registry cannot be read (as opposed to holding no valid signature) */
    public Result check(ImageReference repo, Digest digest, ECPublicKey key) {
        ImageReference at = repo.withTag(Signer.signatureTag(digest));
        List<String> valid = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        if (client.head(at).isEmpty()) {
            problems.add("no signature: " + at + " does not exist");
            return new Result(at, digest, valid, problems);
        }
        Manifest m = client.getManifest(at);
        if (!m.isImage()) {
            problems.add(at + " is a " + m.mediaType() + ", not a signature manifest");
            return new Result(at, digest, valid, problems);
        }
        if (!MediaType.same(m.mediaType(), MediaType.OCI_MANIFEST)) {
            problems.add(at + " is a " + m.mediaType() + "; podman and skopeo (containers/image) accept only "
                    + MediaType.OCI_MANIFEST);
        }
        List<Descriptor> layers = m.layers();
        for (int i = 0; i < layers.size(); i++) {
            String problem = checkLayer(at, layers.get(i), digest, key, valid);
            if (problem != null) {
                problems.add("signature " + (i + 1) + " of " + layers.size() + ": " + problem);
            }
        }
        if (layers.isEmpty()) {
            problems.add(at + " holds no signature layer");
        }
        return new Result(at, digest, valid, problems);
    }

    private String checkLayer(ImageReference at, Descriptor layer, Digest digest, ECPublicKey key, List<String> valid) {
        if (!MediaType.same(layer.mediaType(), MediaType.COSIGN_SIMPLE_SIGNING)) {
            return "a " + layer.mediaType() + " layer, not a simple-signing payload";
        }
        String b64 = layer.annotations().get(Signer.SIGNATURE_ANNOTATION);
        if (b64 == null || b64.isEmpty()) {
            return "no " + Signer.SIGNATURE_ANNOTATION + " annotation";
        }
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            return "the signature annotation is not base64";
        }
        if (layer.size() > MAX_PAYLOAD) {
            return "the payload is " + layer.size() + " bytes; a simple-signing payload is far smaller";
        }
        byte[] payload = client.readBlob(at, layer.digest(), in -> in.readNBytes(MAX_PAYLOAD + 1));
        if (!PublicKeys.verify(key, payload, signature)) {
            return "the signature does not verify with this key (payload "
                    + layer.digest().shortForm() + ")";
        }
        SimpleSigning s;
        try {
            s = SimpleSigning.parse(payload);
        } catch (IllegalArgumentException e) {
            return "signed, but the payload is not cosign's: " + e.getMessage();
        }
        if (!s.digest().equals(digest)) {
            return "signed, but for " + s.digest() + ", not " + digest + " (a signature copied from another image)";
        }
        valid.add(s.dockerReference());
        return null;
    }
}
