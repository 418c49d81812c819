package dev.multiarch.pipeline;

import dev.multiarch.config.SemVer;
import dev.multiarch.config.TagRule;
import dev.multiarch.platform.Platform;
import dev.multiarch.publish.Attestations;
import dev.multiarch.publish.Entry;
import dev.multiarch.publish.IndexPublisher;
import dev.multiarch.publish.Provenance;
import dev.multiarch.publish.PublishException;
import dev.multiarch.publish.Signer;
import dev.multiarch.publish.SigningKey;
import dev.multiarch.publish.Verifier;
import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.IndexType;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.RegistryClient;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.PublicationState;
import dev.multiarch.store.RunnerRecord;
import dev.multiarch.store.Store;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Logger;

/**
 * Publishes a verified build: decides which of its planned tags it may take, puts the index on them, and records
 * itself as their owner. Rules, per tag:
 * <ul>
 *   <li>a newer build (higher id) that already published the tag keeps it;</li>
 *   <li>a floating tag ({@code latest}, {@code 1}, {@code 1.2}) never moves to an older version: {@code v1.4.1}
 *       pushed after {@code v2.0.0} does not take {@code latest};</li>
 *   <li>the same build publishing again (after a restart) is allowed: the PUTs are of the same bytes.</li>
 * </ul>
 * A publish holds the locks of all its images (its own and every mirror, in one normalised order), and every tag is
 * claimed in the store right before its PUT ({@link #claim}: the rules checked against the owner as it is then and the
 * owner recorded in one compare-and-set), so that another build, here or on another coordinator sharing the store,
 * cannot take it in between. With mirrors ({@code image: [A, B, …]}) the rules hold in every repository: a tag another
 * build holds in any of them when the publish starts is kept back in all, so every registry carries the same tags; one
 * taken by another build in a mirror while this one publishes is kept back there only (listed as skipped).
 */
public final class BuildPublisher {
    private static final Logger LOG = Logger.getLogger(BuildPublisher.class.getName());
    /** Registry requests of one publish that can run at once (signatures of several digests, attestations). */
    private static final int IO_THREADS = 8;

    private final Store store;
    private final Optional<SigningKey> key;
    private final String builderId;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private final ExecutorService io = Executors.newFixedThreadPool(IO_THREADS, r -> {
        Thread t = new Thread(r, "publish-io");
        t.setDaemon(true);
        return t;
    });

    public BuildPublisher(Store store) {
        this(store, Optional.empty(), null);
    }

    /**
     * @param key       signs every index and platform image published (cosign's format); empty: unsigned
     * @param builderId the coordinator's public URL: provenance's {@code builder.id}
     */
    public BuildPublisher(Store store, Optional<SigningKey> key, String builderId) {
        this.store = store;
        this.key = key;
        this.builderId = builderId;
    }

    /** Stops the threads that run a publish's registry requests. */
    public void close() {
        io.shutdownNow();
    }

    /**
     * What was published: the index digest and the tags taken; {@code skipped} says why others were not;
     * {@code signed} the digests signed (index first), {@code attestations} the attestation manifests added;
     * {@code registries} each repository's outcome, the build's own image first (one entry without mirrors).
     */
    public record Outcome(
            String indexDigest,
            List<String> tags,
            List<String> skipped,
            List<String> signed,
            List<String> attestations,
            List<Registry> registries) {
        public Outcome {
            registries = registries == null ? List.of() : List.copyOf(registries);
        }

        /** The index digest, typed; null when nothing was published (every tag belonged to a newer build). */
        public Digest digest() {
            return indexDigest == null ? null : Digest.parse(indexDigest);
        }

        /** The registries where the index did not arrive (none when everything was published). */
        public List<Registry> failures() {
            return registries.stream()
                    .filter(r -> r.state() != PublicationState.PUBLISHED)
                    .toList();
        }

        /**
         * One line for a build that published to some registries and not to others: {@code published to A, B; C
         * failed: why}.
         */
        public String partialSummary() {
            List<String> ok = registries.stream()
                    .filter(r -> r.state() == PublicationState.PUBLISHED)
                    .map(Registry::image)
                    .toList();
            StringBuilder b = new StringBuilder("published to ").append(String.join(", ", ok));
            for (Registry r : failures()) {
                b.append("; ").append(r.image()).append(" failed: ").append(r.error());
            }
            return b.toString();
        }
    }

    /**
     * One repository's outcome: published, or failed with the reason. The reason may come from the registry (any
     * registry a repository lists, one an attacker may run), so it is made one bounded line here ({@link #errorText}),
     * before the build's error, the store or a page sees it.
     */
    public record Registry(String image, PublicationState state, String error) {
        public Registry {
            error = errorText(error);
        }
    }

    /** At most this many characters of one registry's reason are kept. */
    static final int MAX_ERROR = 500;

    /**
     * A registry's reason as stored and shown: control and format characters (line breaks, escapes, bidirectional
     * overrides) and runs of them and of spaces become one space, and it is cut to {@value #MAX_ERROR} characters.
     */
    static String errorText(String error) {
        if (error == null) {
            return null;
        }
        String one = error.replaceAll("[\\p{Cc}\\p{Cf}\\s]+", " ").strip();
        return one.length() <= MAX_ERROR ? one : one.substring(0, MAX_ERROR - 1) + "…";
    }

    /**
     * Publishes to the build's image, then copies to each mirror ({@code image: [A, B, …]}): the per-platform
     * manifests, their blobs and attestation manifests are copied (mounted when on the same registry) from the
     * build's image, the byte-identical index is PUT by digest, signed there when signing is on, and only then PUT
     * to the tags. A registry that fails is recorded with its reason and the others carry on; registries already
     * published for this build (stored, {@link Store#publications}) are not touched again, so a restart or a re-run
     * finishes only what is missing.
     *
     * @param children the verified platform images
     * @param jobs     the build's jobs (for provenance: runner, times); matched to children by digest
     * @throws RuntimeException when the build's own image cannot be published: nothing was published anywhere
     */
    public Outcome publish(
            RegistryClient client, BuildRecord build, List<Verifier.Verified> children, List<JobRecord> jobs) {
        ImageReference image = build.image();
        BuildSpec spec = BuildSpec.fromJson(build.spec());
        List<String> targets = spec.targets(build.image().toString());
        return withLocks(lockKeys(targets), () -> publishLocked(client, build, spec, image, targets, children, jobs));
    }

    /**
     * The images' locks, normalised ({@link ImageReference}: one spelling per registry) and sorted: two builds whose
     * targets overlap take the shared locks in the same order and cannot deadlock.
     */
    static List<String> lockKeys(List<String> targets) {
        return targets.stream()
                .map(t -> ImageReference.parse(t).toString())
                .distinct()
                .sorted()
                .toList();
    }

    private <T> T withLocks(List<String> keys, java.util.function.Supplier<T> work) {
        if (keys.isEmpty()) {
            return work.get();
        }
        synchronized (locks.computeIfAbsent(keys.get(0), k -> new Object())) {
            return withLocks(keys.subList(1, keys.size()), work);
        }
    }

    private Outcome publishLocked(
            RegistryClient client,
            BuildRecord build,
            BuildSpec spec,
            ImageReference image,
            List<String> targets,
            List<Verifier.Verified> children,
            List<JobRecord> jobs) {
        TagDecision decision = decide(build);
        List<String> take = new ArrayList<>();
        List<String> skipped = new ArrayList<>(decision.skipped());
        List<String> moved = new ArrayList<>();
        // The own image's tags are claimed in the store now (atomically: another coordinator sharing the store
        // may have taken one since the decision); a tag whose claim fails is kept back everywhere.
        for (String tag : decision.take()) {
            Claim c = claim(build, build.image().toString(), planned(build, tag));
            if (c.taken()) {
                take.add(tag);
                if (c.moved()) {
                    moved.add(tag);
                }
            } else {
                skipped.add(tag + ": " + (targets.size() == 1 ? "" : "in " + build.image() + ": ") + c.why());
            }
        }
        if (take.isEmpty()) {
            return new Outcome(null, List.of(), skipped, List.of(), List.of(), List.of());
        }
        Map<Integer, Store.Publication> before = new LinkedHashMap<>();
        store.publications(build.id()).forEach(p -> before.put(p.position(), p));
        for (int i = 0; i < targets.size(); i++) {
            if (!before.containsKey(i)) {
                store.setPublication(build.id(), i, targets.get(i), PublicationState.PENDING, null, null);
            }
        }
        Store.Publication first = before.get(0);
        Manifest index;
        List<String> signed = new ArrayList<>();
        List<String> attestations = new ArrayList<>();
        if (first != null && first.state() == PublicationState.PUBLISHED && first.indexDigest() != null) {
            // Published there before a restart or a failed mirror: the same bytes go to the rest.
            index = client.getManifest(image.withDigest(first.indexDigest()));
        } else {
            try {
                index = publishOwn(client, build, spec, image, take, moved, children, jobs, signed, attestations);
            } catch (RuntimeException e) {
                store.setPublication(
                        build.id(),
                        0,
                        build.image().toString(),
                        PublicationState.FAILED,
                        null,
                        errorText(MirrorCopies.publicReason(
                                e, "build " + build.id() + ": publishing to " + build.image())));
                throw e;
            }
            store.setPublication(
                    build.id(), 0, build.image().toString(), PublicationState.PUBLISHED, index.digest(), null);
        }
        List<Registry> outcomes = new ArrayList<>();
        outcomes.add(new Registry(build.image().toString(), PublicationState.PUBLISHED, null));
        outcomes.addAll(new MirrorCopies(this, store, key, io)
                .copy(client, build, spec, before, index, children, take, signed, skipped));
        return new Outcome(index.digest().toString(), take, skipped, signed, attestations, outcomes);
    }

    /** The build's own image: attestations, the index by digest, signatures, then the tags. */
    private Manifest publishOwn(
            RegistryClient client,
            BuildRecord build,
            BuildSpec spec,
            ImageReference image,
            List<String> take,
            List<String> moved,
            List<Verifier.Verified> children,
            List<JobRecord> jobs,
            List<String> signed,
            List<String> attestations) {
        List<Entry> entries = new ArrayList<>();
        for (Verifier.Verified v : children) {
            entries.add(new Entry(v.descriptor(), v.descriptor().platform().shortForm(), true));
        }
        if (spec.provenance()) {
            Map<Digest, byte[]> statements = new LinkedHashMap<>();
            for (Verifier.Verified v : children) {
                statements.put(
                        v.descriptor().digest(),
                        provenance(build, spec, image, take.get(0), v, jobs).statement());
            }
            for (Descriptor d : new Attestations(client, io).push(image, statements, Provenance.PREDICATE_TYPE)) {
                entries.add(new Entry(d, "provenance of " + d.attests(), true));
                attestations.add(d.digest().toString());
            }
        }
        IndexType type = IndexType.parse(spec.format());
        Map<String, String> annotations = type == IndexType.DOCKER
                ? Map.of()
                : BuildAnnotations.forIndex(
                        build,
                        spec,
                        children.stream().map(Verifier.Verified::annotations).toList());
        IndexPublisher.BeforeTags signing = key.map(
                        k -> (IndexPublisher.BeforeTags) (target, index, kids, tags) -> signed.addAll(sign(
                                new Signer(client, k, io),
                                image,
                                index,
                                children,
                                tags,
                                perArchTags(build, spec, take))))
                .orElse(null);
        IndexPublisher.Result r = new IndexPublisher(client)
                .publish(
                        image.withTag(take.get(0)),
                        take.subList(1, take.size()),
                        entries,
                        type,
                        annotations,
                        false,
                        signing);
        perArchTagsIn(client, build, spec, image, image, children, take);
        for (String tag : moved) {
            store.recordTagMove(
                    build.image().toString(),
                    tag,
                    build.id(),
                    r.index().digest().toString());
        }
        return r.index();
    }

    /**
     * A tag claimed for a build, or kept back: {@code moved} when another build (or none) held it before, i.e. the PUT
     * moves it (the image page's history records it then); {@code why} when not taken.
     */
    record Claim(boolean taken, boolean moved, String why) {}

    /** Attempts at a claim that lost a race before giving up on the tag. */
    private static final int CLAIM_ATTEMPTS = 5;

    /**
     * Claims {@code image:tag} for the build right before its PUT: decides against the owner as it stands now (the
     * rules above) and records the build as owner in the same step, a compare-and-set in the store
     * ({@link Store#claimTag}), so that another build — on this coordinator or another sharing the store — that read
     * the same owner cannot take the tag too. The owner is thus recorded before the PUT: a PUT that fails leaves the
     * build recorded as owner of a tag it did not move (a re-run PUTs it); a crash between the claim and the PUT leaves
     * that move out of the image page's history.
     */
    Claim claim(BuildRecord build, String image, TagRule.PlannedTag t) {
        for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
            Optional<Store.TagOwner> owner = store.tagOwner(image, t.tag());
            Optional<String> why = whyNot(build, owner, t);
            if (why.isPresent()) {
                return new Claim(false, false, why.get());
            }
            Long expected = owner.map(Store.TagOwner::buildId).orElse(null);
            if (store.claimTag(image, t.tag(), expected, build.id(), build.version())) {
                return new Claim(true, expected == null || expected != build.id(), null);
            }
        }
        return new Claim(false, false, "claimed by another build while this one published; kept back");
    }

    /** The planned tag named {@code tag} (a fixed tag when the build's plan does not name it). */
    static TagRule.PlannedTag planned(BuildRecord build, String tag) {
        return BuildSpec.tagsFromJson(build.tags()).stream()
                .filter(t -> t.tag().equals(tag))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("build " + build.id() + " did not plan tag " + tag));
    }

    /** {@code TAG-ARCH} tags in {@code to}, each image read from {@code from} (where the runner pushed it). */
    static void perArchTagsIn(
            RegistryClient client,
            BuildRecord build,
            BuildSpec spec,
            ImageReference from,
            ImageReference to,
            List<Verifier.Verified> children,
            List<String> take) {
        if (!spec.perArchTags()) {
            return;
        }
        for (Verifier.Verified v : children) {
            Descriptor d = v.descriptor();
            Manifest m = client.getManifest(from.withDigest(d.digest()));
            for (String base : perArchTags(build, spec, take)) {
                client.putManifest(
                        to.withTag(base + "-" + archSuffix(d.platform())),
                        m,
                        "the " + d.platform().shortForm() + " image");
            }
        }
    }

    /** {@code TAG-ARCH} for every fixed (not floating) tag taken and every platform, when per-arch tags are on. */
    static List<String> perArchTags(BuildRecord build, BuildSpec spec, List<String> take) {
        if (!spec.perArchTags()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (TagRule.PlannedTag t : BuildSpec.tagsFromJson(build.tags())) {
            if (!t.floating() && take.contains(t.tag())) {
                out.add(t.tag());
            }
        }
        return out;
    }

    /**
     * Signs the index (already in the registry by digest) and every platform image, before any tag moves: the index as
     * {@code repo:tag} for each tag, each image as the same plus its per-arch tags. podman checks the signature of the
     * platform image it pulls, not only the index's (podman#21209), hence the images too.
     *
     * @throws PublishException when a signature cannot be stored; the message says no tag moved
     */
    static List<String> sign(
            Signer signer,
            ImageReference image,
            Manifest index,
            List<Verifier.Verified> children,
            List<String> tags,
            List<String> perArchBases) {
        List<String> ids = tags.stream().map(t -> image.withTag(t).toString()).toList();
        Map<Digest, List<String>> identities = new LinkedHashMap<>();
        identities.put(index.digest(), ids);
        for (Verifier.Verified v : children) {
            List<String> childIds = new ArrayList<>(ids);
            for (String base : perArchBases) {
                childIds.add(
                        image.withTag(base + "-" + archSuffix(v.descriptor().platform()))
                                .toString());
            }
            identities.put(v.descriptor().digest(), childIds);
        }
        List<Signer.Signed> done;
        try {
            done = signer.sign(image, identities);
        } catch (RuntimeException e) {
            throw new PublishException(
                    "signing failed, no tag was moved: " + e.getMessage() + " (the index " + index.digest() + " is in "
                            + image.registry() + "/" + image.repository() + " by digest only)",
                    e);
        }
        int added = done.stream().mapToInt(Signer.Signed::added).sum();
        LOG.info(() -> "signed " + index.digest() + " and " + children.size() + " image(s) in " + image.registry() + "/"
                + image.repository() + " as " + tags + " (" + added + " signature(s) added)");
        return done.stream().map(x -> x.digest().toString()).toList();
    }

    private Provenance provenance(
            BuildRecord build,
            BuildSpec spec,
            ImageReference image,
            String firstTag,
            Verifier.Verified v,
            List<JobRecord> jobs) {
        Optional<JobRecord> job = jobs.stream()
                .filter(j -> v.descriptor().digest().equals(j.digest()))
                .findFirst();
        Platform platform = job.map(JobRecord::platform).orElse(v.descriptor().platform());
        Provenance.Builder p = Provenance.builder(
                        builderId,
                        v.descriptor().digest(),
                        "pkg:docker/" + image.registry() + "/" + image.repository() + "@" + firstTag,
                        platform)
                .withSource(BuildAnnotations.repositoryUri(build.cloneUrl()), build.ref(), build.commit())
                .withDockerfile(spec.dockerfile(), spec.context())
                .withBuildArgs(spec.buildArgs())
                .withFormat(spec.format().equals("docker") ? "docker" : "oci")
                .withVersion(BuildPublisher.class.getPackage().getImplementationVersion());
        if (builderId != null) {
            p.withInvocation(
                    builderId + "/builds/" + build.id(),
                    job.map(JobRecord::startedAt).orElse(null),
                    job.map(JobRecord::finishedAt).orElse(null));
        }
        job.ifPresent(j -> {
            Optional<RunnerRecord> runner = store.runners().stream()
                    .filter(r -> r.id().equals(j.runnerId()))
                    .findFirst();
            p.withRunner(
                    j.runnerId(),
                    runner.map(RunnerRecord::name).orElse(null),
                    runner.map(r -> emulation(r, platform)).orElse(null));
        });
        return p.create();
    }

    /** {@code native} when the runner registered the platform as native, else {@code qemu} (the dispatcher's rule). */
    static String emulation(RunnerRecord r, Platform p) {
        return r.nativePlatforms().stream().anyMatch(n -> n.matches(p)) ? "native" : "qemu";
    }

    /** Which planned tags a build may take now, and why it may not take the others. */
    public record TagDecision(List<String> take, List<String> skipped) {}

    public TagDecision decide(BuildRecord build) {
        List<String> take = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (TagRule.PlannedTag t : BuildSpec.tagsFromJson(build.tags())) {
            Optional<String> why = whyNot(build, t);
            if (why.isPresent()) {
                skipped.add(t.tag() + ": " + why.get());
            } else {
                take.add(t.tag());
            }
        }
        return new TagDecision(take, skipped);
    }

    /** {@code amd64}, {@code arm-v7}, {@code arm64}: what per-arch tags end with. */
    static String archSuffix(Platform p) {
        Platform n = p.normalize();
        return n.variant().isEmpty() ? n.architecture() : n.architecture() + "-" + n.variant();
    }

    /** Why the tag may not be taken in one of the build's repositories (its image and each mirror), if any. */
    private Optional<String> whyNot(BuildRecord build, TagRule.PlannedTag t) {
        List<String> targets = build.spec() == null
                ? List.of(build.image().toString())
                : BuildSpec.fromJson(build.spec()).targets(build.image().toString());
        for (String target : targets) {
            Optional<String> why = whyNot(build, target, t);
            if (why.isPresent()) {
                return targets.size() == 1 ? why : Optional.of("in " + target + ": " + why.get());
            }
        }
        return Optional.empty();
    }

    private Optional<String> whyNot(BuildRecord build, String image, TagRule.PlannedTag t) {
        return whyNot(build, store.tagOwner(image, t.tag()), t);
    }

    private static Optional<String> whyNot(BuildRecord build, Optional<Store.TagOwner> owner, TagRule.PlannedTag t) {
        if (owner.isEmpty() || owner.get().buildId() == build.id()) {
            return Optional.empty();
        }
        // Tags belong to an image *and* a repository: even where two repositories may publish to one image (a mirror,
        // a monorepo split), neither moves a tag the other holds.
        if (owner.get().repo() != null && !owner.get().repo().equalsIgnoreCase(build.repo())) {
            return Optional.of("held by repository " + owner.get().repo() + " (build "
                    + owner.get().buildId() + "); a repository never moves another repository's tag");
        }
        if (t.floating() && owner.get().version() != null && build.version() != null) {
            Optional<SemVer> mine = SemVer.parse(build.version());
            Optional<SemVer> theirs = SemVer.parse(owner.get().version());
            if (mine.isPresent() && theirs.isPresent()) {
                int c = mine.get().compareTo(theirs.get());
                if (c < 0) {
                    return Optional.of("stays at " + theirs.get() + " (newer than " + mine.get() + ")");
                }
                if (c > 0) {
                    return Optional.empty();
                }
            }
        }
        if (owner.get().buildId() > build.id()) {
            return Optional.of("build " + owner.get().buildId() + " is newer and already published it");
        }
        return Optional.empty();
    }
}
