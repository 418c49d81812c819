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
 * </ul>
 */
package dev.multiarch.publish;
