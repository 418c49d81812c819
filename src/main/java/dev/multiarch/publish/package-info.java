/**
 * The last stage of the flow: from images that exist, to one manifest list published under every tag.
 *
 * <ul>
 *   <li>{@link dev.multiarch.publish.SourceResolver} turns sources (an image reference, and optionally the platform
 *       it is claimed to be) into index entries: it reads each image's manifest and config, refuses an image whose
 *       config names another platform than claimed, takes the matching image (and its attestations) out of a source
 *       that is itself an index, and copies children that live in another repository into the target repository
 *       (cross-repository blob mounts, then the child manifest by digest).</li>
 *   <li>{@link dev.multiarch.publish.IndexPublisher} takes entries whose platforms are known and verified — what the
 *       build pipeline holds after its checks — merges them into the existing index with {@code --append}, checks
 *       with one HEAD per child that each is in the target repository, assembles the list and PUTs the same bytes to
 *       every tag. Nothing is PUT to a tag until every child is present, so no tag ever points at a list with a
 *       missing child (distribution 2.8 refuses such a list with MANIFEST_BLOB_UNKNOWN anyway).</li>
 *   <li>{@link dev.multiarch.publish.Attestations} and {@link dev.multiarch.publish.Provenance} add, when a build
 *       asks, an SLSA Provenance v1 statement per platform as buildkit stores attestations: an {@code unknown/unknown}
 *       manifest in the index, after the images, pointing at its image ({@code vnd.docker.reference.digest}).
 *       {@link dev.multiarch.publish.Verifier#imageEntries} keeps them out of everything that means "a platform".</li>
 *   <li>{@link dev.multiarch.publish.Signer} signs as {@code cosign sign --key} without a transparency log: a
 *       {@code sha256-<hex>.sig} tag holding an OCI manifest whose layers are {@link dev.multiarch.publish.SimpleSigning}
 *       payloads, each with its base64 DER ECDSA-SHA256 signature in {@code dev.cosignproject.cosign/signature}
 *       (sigstore/cosign specs/SIGNATURE_SPEC.md). {@code IndexPublisher}'s {@code BeforeTags} step runs it after the
 *       index is PUT by digest and before any tag, so a signature that cannot be stored moves no tag.
 *       {@link dev.multiarch.publish.SigningKey} reads cosign's encrypted key files (scrypt + NaCl secretbox, through
 *       Bouncy Castle) and PKCS#8/SEC 1 PEM; {@link dev.multiarch.publish.SignatureCheck} is the verifying side.</li>
 * </ul>
 *
 * <p>See docs/signing.md for the formats, what is signed as which identity, and why.
 */
package dev.multiarch.publish;
