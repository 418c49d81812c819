package dev.multiarch.pipeline;

import dev.multiarch.publish.PublishException;
import dev.multiarch.publish.Signer;
import dev.multiarch.publish.SigningKey;
import dev.multiarch.publish.Verifier;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.RegistryClient;
import dev.multiarch.registry.RegistryException;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.PublicationState;
import dev.multiarch.store.Store;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The mirrors of a build ({@code image: [A, B, …]} after A): once the index is published to the build's own image,
 * each mirror in turn gets every child — platform images and attestation manifests with their blobs — then the same
 * index bytes by digest (a registry refuses an index whose children it lacks), its signatures, and last the tags. Blobs
 * are mounted from a repository on the same registry that already holds the index, else streamed from the build's
 * image (large ones in resumable chunks, {@link RegistryClient#copyBlob}). A mirror that fails is recorded with its
 * reason and the next one is tried; one already published for this build is not touched.
 */
final class MirrorCopies {
    private static final Logger LOG = Logger.getLogger(MirrorCopies.class.getName());

    private final BuildPublisher publisher;
    private final Store store;
    private final Optional<SigningKey> key;
    private final ExecutorService io;

    MirrorCopies(BuildPublisher publisher, Store store, Optional<SigningKey> key, ExecutorService io) {
        this.publisher = publisher;
        this.store = store;
        this.key = key;
        this.io = io;
    }

    /**
     * @param before  the stored outcomes by position (0 is the build's image, already published)
     * @param signed  digests signed so far; those signed here are added
     * @param keptBack tags kept back so far ({@code tag: why}); a mirror's tag whose claim fails is added
     * @return each mirror's outcome, in order
     */
    List<BuildPublisher.Registry> copy(
            RegistryClient client,
            BuildRecord build,
            BuildSpec spec,
            Map<Integer, Store.Publication> before,
            Manifest index,
            List<Verifier.Verified> children,
            List<String> take,
            List<String> signed,
            List<String> keptBack) {
        ImageReference image = build.image();
        List<String> targets = spec.targets(build.image().toString());
        String digest = index.digest().toString();
        List<BuildPublisher.Registry> outcomes = new ArrayList<>();
        List<ImageReference> holding = new ArrayList<>(List.of(image));
        for (int i = 1; i < targets.size(); i++) {
            Store.Publication was = before.get(i);
            String target = targets.get(i);
            ImageReference to = ImageReference.parse(target);
            if (was != null
                    && was.state() == PublicationState.PUBLISHED
                    && index.digest().equals(was.indexDigest())) {
                outcomes.add(new BuildPublisher.Registry(target, PublicationState.PUBLISHED, null));
                holding.add(to);
                continue;
            }
            ImageReference from = holding.stream()
                    .filter(h -> h.registry().equals(to.registry()))
                    .findFirst()
                    .orElse(image);
            try {
                mirror(client, build, spec, from, to, index, children, take, signed, keptBack);
                holding.add(to);
                store.setPublication(build.id(), i, target, PublicationState.PUBLISHED, index.digest(), null);
                outcomes.add(new BuildPublisher.Registry(target, PublicationState.PUBLISHED, null));
            } catch (RuntimeException e) {
                String why = BuildPublisher.errorText(
                        publicReason(e, "build " + build.id() + ": copying " + digest + " to " + target));
                LOG.warning(() -> "build " + build.id() + ": copying " + digest + " to " + target + " failed: " + why);
                store.setPublication(build.id(), i, target, PublicationState.FAILED, null, why);
                outcomes.add(new BuildPublisher.Registry(target, PublicationState.FAILED, why));
            }
        }
        return outcomes;
    }

    /** What a failure that is not the registry's or the publish's own shows: its text stays in the log. */
    static final String INTERNAL_ERROR = "internal error (see the coordinator's log)";

    /**
     * The reason a publication failed as stored and shown (API, build page, check summary): the text of a
     * {@link RegistryException} or {@link PublishException}, written for people; anything else (a bug, the store, a
     * library) may carry internal detail — SQL, paths, addresses — so it is logged in full at WARNING and shown as
     * {@link #INTERNAL_ERROR}.
     */
    static String publicReason(RuntimeException e, String context) {
        if (e instanceof RegistryException || e instanceof PublishException) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
        LOG.log(Level.WARNING, context + " failed", e);
        return INTERNAL_ERROR;
    }

    private void mirror(
            RegistryClient client,
            BuildRecord build,
            BuildSpec spec,
            ImageReference from,
            ImageReference to,
            Manifest index,
            List<Verifier.Verified> children,
            List<String> take,
            List<String> signed,
            List<String> keptBack) {
        client.copyManifest(from, to, index);
        if (key.isPresent()) {
            List<String> done = BuildPublisher.sign(
                    new Signer(client, key.get(), io),
                    to,
                    index,
                    children,
                    take,
                    BuildPublisher.perArchTags(build, spec, take));
            done.stream().filter(d -> !signed.contains(d)).forEach(signed::add);
        }
        // Each tag is claimed (the owner rules checked against the owner as it is now, and the build recorded as owner,
        // atomically) right before its PUT: minutes may have passed since the publish decided, and another build may
        // have taken the tag here since. One whose claim fails is kept back in this mirror; one whose PUT fails stays
        // recorded as this build's (a re-run PUTs it), the tags PUT before it stay moved and recorded.
        List<String> taken = new ArrayList<>();
        for (String tag : take) {
            BuildPublisher.Claim c = publisher.claim(build, to.toString(), BuildPublisher.planned(build, tag));
            if (!c.taken()) {
                keptBack.add(tag + ": in " + to + ": " + c.why());
                LOG.warning(() -> "build " + build.id() + ": " + tag + " kept back in " + to + ": " + c.why());
                continue;
            }
            client.putManifest(to.withTag(tag), index, "the index");
            taken.add(tag);
            if (c.moved()) {
                store.recordTagMove(
                        to.toString(), tag, build.id(), index.digest().toString());
            }
        }
        BuildPublisher.perArchTagsIn(client, build, spec, from, to, children, taken);
    }
}
