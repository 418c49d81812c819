package dev.multiarch.github;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.config.RepoConfig;
import dev.multiarch.pipeline.Coordinator;
import dev.multiarch.pipeline.Trigger;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.BuildState;
import dev.multiarch.store.Store;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/** Turns one stored webhook delivery into what the workflows ask for; returns a note for the delivery's record. */
public final class EventRouter {
    private static final Logger LOG = Logger.getLogger(EventRouter.class.getName());
    private static final String ZERO = "0000000000000000000000000000000000000000";

    private final Coordinator coordinator;
    private final GitHubAccess github;
    private final List<Workflow> workflows;

    public EventRouter(Coordinator coordinator, GitHubAccess github, List<Workflow> workflows) {
        this.coordinator = coordinator;
        this.github = github;
        this.workflows = workflows;
    }

    /**
     * @param delivery the delivery's id: builds remember it, and a delivery routed again (after a restart between
     *                 creating its builds and recording that) creates none
     * @throws IOException when GitHub could not be read (the delivery is then retried)
     */
    public String route(String event, JsonNode p, String delivery) throws IOException {
        List<BuildRecord> before = built(delivery);
        if (!before.isEmpty()) {
            return "already handled: build(s) "
                    + String.join(", ", before.stream().map(b -> "#" + b.id()).toList());
        }
        return switch (event) {
            case "ping" -> "ping: zen \"" + p.path("zen").asText() + "\"";
            case "push" -> push(p, delivery);
            case "pull_request" -> pullRequest(p, delivery);
            case "check_run" ->
                rerun(p, "check_run", p.path("check_run").path("head_sha").asText(), delivery);
            case "check_suite" ->
                rerun(p, "check_suite", p.path("check_suite").path("head_sha").asText(), delivery);
            case "installation", "installation_repositories" ->
                "noted: " + event + " " + p.path("action").asText() + " for "
                        + p.path("installation").path("account").path("login").asText("?");
            default -> "ignored: multiarch does not act on " + event + " events";
        };
    }

    private List<BuildRecord> built(String deliveryId) {
        if (deliveryId == null) {
            return List.of();
        }
        return coordinator.store().buildsOfDelivery(deliveryId);
    }

    private Optional<Workflow> workflow(Workflow.Kind kind, String name, String defaultBranch) {
        return workflows.stream()
                .filter(w -> w.enabled() && w.on() == kind && w.matches(name, defaultBranch))
                .findFirst();
    }

    private String push(JsonNode p, String delivery) throws IOException {
        String ref = p.path("ref").asText();
        JsonNode repo = p.path("repository");
        String fullName = repo.path("full_name").asText();
        if (p.path("deleted").asBoolean(false) || ZERO.equals(p.path("after").asText())) {
            return "recorded: " + ref + " deleted in " + fullName + "; nothing built";
        }
        if (!isRepositoryName(fullName)) {
            return notARepository(fullName);
        }
        String sha = p.path("after").asText();
        String unfit = unfit(sha, ref);
        if (unfit != null) {
            return unfit;
        }
        long installation = p.path("installation").path("id").asLong(0);
        String defaultBranch =
                repo.path("default_branch").asText(repo.path("master_branch").asText("main"));
        if (ref.startsWith("refs/tags/")) {
            String tag = ref.substring("refs/tags/".length());
            Optional<Workflow> w = workflow(Workflow.Kind.TAG, tag, defaultBranch);
            if (w.isEmpty()) {
                return "ignored: no enabled tag workflow matches " + tag;
            }
            Trigger t = Trigger.builder()
                    .repo(fullName)
                    .cloneUrl(github.cloneUrl(fullName))
                    .commit(sha)
                    .ref(ref)
                    .push(w.get().publish())
                    .info(new Origin(fullName, sha, installation, 0, w.get().name(), false, delivery, sha).toJson())
                    .privateRepo(isPrivate(repo))
                    .build();
            return started(w.get(), build(t, installation, fullName, sha));
        }
        if (ref.startsWith("refs/heads/")) {
            String branch = ref.substring("refs/heads/".length());
            Optional<Workflow> w = workflow(Workflow.Kind.BRANCH, branch, defaultBranch);
            if (w.isEmpty()) {
                return "ignored: no enabled branch workflow matches " + branch;
            }
            Trigger t = Trigger.builder()
                    .repo(fullName)
                    .cloneUrl(github.cloneUrl(fullName))
                    .commit(sha)
                    .ref(ref)
                    .push(w.get().publish())
                    .explicitTags(w.get().tags())
                    .info(new Origin(fullName, sha, installation, 0, w.get().name(), false, delivery, sha).toJson())
                    .privateRepo(isPrivate(repo))
                    .build();
            return started(w.get(), build(t, installation, fullName, sha));
        }
        return "ignored: " + ref + " is neither a tag nor a branch";
    }

    private String pullRequest(JsonNode p, String delivery) throws IOException {
        String action = p.path("action").asText();
        JsonNode pr = p.path("pull_request");
        int number = pr.path("number").asInt(p.path("number").asInt());
        JsonNode base = pr.path("base");
        JsonNode head = pr.path("head");
        String baseRepo = base.path("repo")
                .path("full_name")
                .asText(p.path("repository").path("full_name").asText());
        long installation = p.path("installation").path("id").asLong(0);
        if (action.equals("closed")) {
            int n = cancel(baseRepo, number, "the pull request was closed");
            return "pull request #" + number + " closed: cancelled " + n + " build(s)";
        }
        if (!action.equals("opened") && !action.equals("synchronize") && !action.equals("reopened")) {
            return "ignored: pull_request " + action;
        }
        if (!isRepositoryName(baseRepo)) {
            return notARepository(baseRepo);
        }
        String unfit = unfit(head.path("sha").asText(), "");
        if (unfit != null) {
            return unfit;
        }
        String baseBranch = base.path("ref").asText();
        String defaultBranch = p.path("repository").path("default_branch").asText("main");
        Optional<Workflow> w = workflow(Workflow.Kind.PULL_REQUEST, baseBranch, defaultBranch);
        if (w.isEmpty()) {
            return "ignored: no enabled pull_request workflow matches base branch " + baseBranch;
        }
        int cancelled = cancel(baseRepo, number, "a newer commit was pushed to the pull request");
        String headRepo = head.path("repo").path("full_name").asText("");
        // A head in another repository (or a deleted fork: no repository at all) is untrusted.
        boolean fork = !headRepo.equals(baseRepo);
        String sha = head.path("sha").asText();
        boolean publish = !fork && w.get().publish();
        List<String> tags = publish
                ? w.get().tags().stream()
                        .map(t -> t.replace("{number}", String.valueOf(number)))
                        .toList()
                : List.of();
        // A fork's .multiarch.yaml is untrusted: read the base branch's, never the head's.
        String configRef = fork ? base.path("sha").asText(baseBranch) : sha;
        // A repository the rules refuse gets its failed check (from create) and nothing else: no token, no read.
        boolean allowed = coordinator.mayBuild(baseRepo);
        if (allowed && !fork && installation > 0) {
            github.gitAuthorization(installation, baseRepo);
        }
        Optional<String> config =
                allowed ? github.readFile(installation, baseRepo, RepoConfig.FILE, configRef) : Optional.empty();
        // Fetched from the base repository, which serves its pull requests' heads (refs/pull/N/head): never from a
        // URL in the payload, which the fork's owner controls.
        Trigger t = Trigger.builder()
                .repo(baseRepo)
                .cloneUrl(github.cloneUrl(baseRepo))
                .commit(sha)
                .ref("refs/pull/" + number + "/head")
                .push(publish)
                .explicitTags(tags)
                .info(new Origin(baseRepo, sha, installation, number, w.get().name(), fork, delivery, configRef)
                        .toJson())
                .untrusted(fork)
                .privateRepo(isPrivate(p.path("repository")))
                .build();
        List<BuildRecord> bs = coordinator.create(t, config.orElse(null));
        return started(w.get(), bs)
                + (fork ? " (fork: untrusted, config from " + baseBranch + ", no credentials)" : "")
                + (cancelled > 0 ? "; cancelled " + cancelled + " older build(s)" : "");
    }

    private String rerun(JsonNode p, String kind, String sha, String delivery) throws IOException {
        // Only a person's re-run request: GitHub also sends check_suite "requested" on every push, which the push
        // event already builds.
        if (!p.path("action").asText().equals("rerequested")) {
            return "ignored: " + kind + " " + p.path("action").asText();
        }
        String fullName = p.path("repository").path("full_name").asText();
        Optional<BuildRecord> last = rerunOf(p, kind, fullName, sha);
        if (last.isEmpty() || Origin.of(last.get().trigger()) == null) {
            return "ignored: " + kind + " " + p.path("action").asText() + " for " + sha
                    + ", which multiarch never built";
        }
        BuildRecord b = last.get();
        Origin o = Origin.of(b.trigger());
        String republished = republish(o);
        if (republished != null) {
            return "re-run of " + sha.substring(0, 12) + ": " + republished;
        }
        // A fork's re-run reads the configuration where its first run did (the base branch), never at the fork's head.
        String configRef = o.configRef() != null ? o.configRef() : o.fork() ? defaultBranch(p) : b.commit();
        Origin again =
                new Origin(o.repo(), o.sha(), o.installation(), o.pr(), o.workflow(), o.fork(), delivery, configRef);
        Trigger t = Trigger.builder()
                .repo(b.repo())
                .cloneUrl(github.cloneUrl(o.repo()))
                .commit(b.commit())
                .ref(b.ref())
                .push(b.push())
                .explicitTags(explicitTags(b))
                .info(again.toJson())
                .untrusted(b.untrusted() || o.fork())
                // The first run's flag, or private if the repository has become so since: never more visible.
                .privateRepo(b.privateRepo() || isPrivate(p.path("repository")))
                .build();
        if (o.pr() > 0) {
            cancel(o.repo(), o.pr(), "re-run requested");
        }
        return "re-run of " + sha.substring(0, 12) + ": "
                + started(null, build(t, o.installation(), o.repo(), configRef));
    }

    /**
     * The build a re-run request is about: a check run's own build (its external id, {@code build/context}, is ours),
     * else the newest build in the request's check suite, else (a build from before check suites were recorded, or
     * whose first check run is not created yet) the newest build of the commit. Whatever names the build, it must be
     * of this repository and commit.
     */
    private Optional<BuildRecord> rerunOf(JsonNode p, String kind, String fullName, String sha) {
        Store store = coordinator.store();
        JsonNode run = p.path(kind);
        String external = kind.equals("check_run") ? run.path("external_id").asText("") : "";
        int slash = external.indexOf('/');
        if (slash > 0 && external.substring(0, slash).chars().allMatch(Character::isDigit) && slash <= 18) {
            Optional<BuildRecord> b = store.build(Long.parseLong(external.substring(0, slash)));
            if (b.isPresent() && ofCommit(b.get(), fullName, sha)) {
                return b;
            }
        }
        long suite = kind.equals("check_run")
                ? run.path("check_suite").path("id").asLong(0)
                : run.path("id").asLong(0);
        if (suite > 0) {
            Optional<BuildRecord> b = store.latestBuildOfCheckSuite(fullName, suite);
            if (b.isPresent() && ofCommit(b.get(), fullName, sha)) {
                return b;
            }
        }
        return store.latestBuildOfCommit(fullName, sha);
    }

    private static boolean ofCommit(BuildRecord b, String fullName, String sha) {
        Origin o = Origin.of(b.trigger());
        return o != null && o.repo().equals(fullName) && o.sha().equals(sha);
    }

    /**
     * A re-run of a run whose every build either published or failed while publishing (several registries, one of
     * them failing): only the missing registries are published, nothing is built again. Null when the run had any
     * other failure; the commit is then built anew.
     */
    private String republish(Origin o) {
        if (o.delivery() == null) {
            return null;
        }
        List<BuildRecord> run = coordinator.store().buildsOfDelivery(o.delivery());
        List<BuildRecord> retry =
                run.stream().filter(x -> coordinator.republishable(x.id())).toList();
        boolean rest = run.stream().allMatch(x -> x.state() == BuildState.PUBLISHED || retry.contains(x));
        if (retry.isEmpty() || !rest) {
            return null;
        }
        List<Long> ids = new ArrayList<>();
        for (BuildRecord x : retry) {
            if (coordinator.republish(x.id())) {
                ids.add(x.id());
            }
        }
        return ids.isEmpty() ? null : "publishing build(s) " + ids + " where the index is missing";
    }

    /**
     * Whether a payload's repository is private ({@code repository.private}). GitHub always sends it; a payload without
     * it counts as private, so a malformed delivery can only hide a build, never show one.
     */
    static boolean isPrivate(JsonNode repository) {
        JsonNode v = repository.path("private");
        return !v.isBoolean() || v.booleanValue();
    }

    private static String defaultBranch(JsonNode p) {
        return p.path("repository").path("default_branch").asText("main");
    }

    private static List<String> explicitTags(BuildRecord b) {
        if (b.ref().startsWith("refs/tags/") || b.tags() == null) {
            return List.of();
        }
        return dev.multiarch.pipeline.BuildSpec.tagsFromJson(b.tags()).stream()
                .map(x -> x.tag())
                .toList();
    }

    /**
     * Reads .multiarch.yaml at {@code configRef} through the API and creates the builds. For a trusted build the
     * repository's read-only fetch token is minted now, while GitHub failing still means "retry the delivery"; its
     * jobs, claimed later, then take it from the cache instead of failing their checkout on a GitHub blip.
     */
    private List<BuildRecord> build(Trigger t, long installation, String fullName, String configRef)
            throws IOException {
        // A repository the rules refuse gets its failed check (from create) and nothing else: no token, no read.
        boolean allowed = coordinator.mayBuild(fullName);
        if (allowed && !t.untrusted() && installation > 0) {
            github.gitAuthorization(installation, fullName);
        }
        Optional<String> config =
                allowed ? github.readFile(installation, fullName, RepoConfig.FILE, configRef) : Optional.empty();
        return coordinator.create(t, config.orElse(null));
    }

    private int cancel(String repo, int pr, String why) {
        int n = 0;
        for (BuildRecord b : coordinator.store().buildsOfPullRequest(repo, pr, BuildState.QUEUED, BuildState.RUNNING)) {
            if (coordinator.cancel(b.id(), why)) {
                n++;
            }
        }
        return n;
    }

    /**
     * GitHub's {@code owner/name}. Checked before GitHub is asked about it: github-api throws
     * IllegalArgumentException for anything else, which EventRouterFuzzTest found failing the delivery.
     */
    private static final Pattern REPOSITORY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}");

    static boolean isRepositoryName(String fullName) {
        return REPOSITORY.matcher(fullName).matches() && !fullName.endsWith("/.") && !fullName.endsWith("/..");
    }

    private static String notARepository(String fullName) {
        return "ignored: the payload's repository '" + shorten(fullName) + "' is not an owner/name";
    }

    /** A commit id as GitHub sends it: 40 hex digits (SHA-1), or 64 in a SHA-256 repository. */
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");

    /**
     * Why a payload's commit or ref cannot make a build, or null. The store keeps commits of 64 characters and refs of
     * 500: EventRouterFuzzTest found a longer commit failing the delivery with the store's "Value too long for
     * column". (The payload's clone URL is never used: runners fetch from github.web-url.)
     */
    static String unfit(String sha, String ref) {
        if (!COMMIT.matcher(sha).matches()) {
            return "ignored: '" + shorten(sha) + "' is not a commit id (40 or 64 lowercase hex digits)";
        }
        if (ref.length() > 500) {
            return "ignored: the ref is " + ref.length() + " characters long; at most 500";
        }
        return null;
    }

    private static String shorten(String s) {
        return s.length() > 100 ? s.substring(0, 100) + "…" : s;
    }

    private static String started(Workflow w, List<BuildRecord> bs) {
        List<String> ids = new ArrayList<>();
        bs.forEach(b -> ids.add("#" + b.id() + (b.state() == BuildState.FAILED ? " (failed: " + b.error() + ")" : "")));
        String s = (w == null ? "" : w.name() + ": ") + "build(s) " + String.join(", ", ids);
        LOG.info(s);
        return s;
    }
}
