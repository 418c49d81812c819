package dev.multiarch.publish;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.base.Json;
import dev.multiarch.config.Redaction;
import dev.multiarch.platform.Platform;
import dev.multiarch.registry.Digest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An SLSA Provenance v1 predicate (slsa.dev/spec/v1.0/provenance) in an in-toto Statement v1
 * (in-toto/attestation spec/v1/statement.md) for one platform's image: who built it (the coordinator, by its public
 * URL), from what (repository, ref, commit, Dockerfile, context, build args), how (platform, runner, native or QEMU)
 * and when. The build type {@value #BUILD_TYPE} is defined in docs/signing.md.
 *
 * <p>Build args that look like secrets ({@link Redaction#isSecret}) are left out; their names are listed under
 * {@code withheldBuildArgs} so that a reader knows the list is not complete. Nothing else secret is known here:
 * source URLs come without credentials.
 */
public final class Provenance {
    public static final String STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
    public static final String PREDICATE_TYPE = "https://slsa.dev/provenance/v1";
    public static final String BUILD_TYPE = "https://multiarch.dev/buildtypes/image/v1";

    private final Builder b;

    private Provenance(Builder b) {
        this.b = b;
    }

    /**
     * @param builderId     the coordinator's public URL ({@code runDetails.builder.id})
     * @param image         the platform image the statement is about (its manifest digest is the subject)
     * @param subjectName   {@code pkg:docker/REGISTRY/REPO@TAG}: the platform is added
     */
    public static Builder builder(String builderId, Digest image, String subjectName, Platform platform) {
        return new Builder(builderId, image, subjectName, platform);
    }

    /** The statement, as the layer's exact bytes. */
    public byte[] statement() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("_type", STATEMENT_TYPE);
        ObjectNode subject = root.putArray("subject").addObject();
        subject.put(
                "name",
                b.subjectName + "?platform=" + URLEncoder.encode(b.platform.shortForm(), StandardCharsets.UTF_8));
        subject.putObject("digest").put(b.image.algorithm(), b.image.hex());
        root.put("predicateType", PREDICATE_TYPE);
        ObjectNode predicate = root.putObject("predicate");

        ObjectNode def = predicate.putObject("buildDefinition");
        def.put("buildType", BUILD_TYPE);
        ObjectNode ext = def.putObject("externalParameters");
        ObjectNode source = ext.putObject("source");
        putIfSet(source, "repository", b.repository);
        putIfSet(source, "ref", b.ref);
        putIfSet(ext, "dockerfile", b.dockerfile);
        putIfSet(ext, "context", b.context);
        ext.put("platform", b.platform.shortForm());
        ObjectNode args = ext.putObject("buildArgs");
        List<String> withheld = new ArrayList<>();
        new TreeMap<>(b.buildArgs).forEach((k, v) -> {
            if (Redaction.isSecret(k, v)) {
                withheld.add(k);
            } else {
                args.put(k, v);
            }
        });
        if (!withheld.isEmpty()) {
            ArrayNode w = ext.putArray("withheldBuildArgs");
            withheld.forEach(w::add);
        }
        ObjectNode internal = def.putObject("internalParameters");
        putIfSet(internal, "format", b.format);
        if (b.runnerId != null) {
            ObjectNode runner = internal.putObject("runner");
            runner.put("id", b.runnerId);
            putIfSet(runner, "name", b.runnerName);
        }
        putIfSet(internal, "emulation", b.emulation);
        if (b.commit != null && b.repository != null) {
            ObjectNode dep = def.putArray("resolvedDependencies").addObject();
            dep.put("uri", "git+" + b.repository + (b.ref == null ? "" : "@" + b.ref));
            dep.putObject("digest").put("gitCommit", b.commit);
        }

        ObjectNode run = predicate.putObject("runDetails");
        ObjectNode builder = run.putObject("builder");
        builder.put("id", b.builderId);
        if (b.version != null) {
            builder.putObject("version").put("multiarch", b.version);
        }
        ObjectNode meta = run.putObject("metadata");
        putIfSet(meta, "invocationId", b.invocationId);
        putIfSet(meta, "startedOn", b.startedOn == null ? null : b.startedOn.toString());
        putIfSet(meta, "finishedOn", b.finishedOn == null ? null : b.finishedOn.toString());
        return Json.write(root);
    }

    private static void putIfSet(ObjectNode n, String key, String value) {
        if (value != null && !value.isEmpty()) {
            n.put(key, value);
        }
    }

    /** Required: builder id, subject, platform. Everything else is written when given. */
    public static final class Builder {
        private final String builderId;
        private final Digest image;
        private final String subjectName;
        private final Platform platform;
        private String repository;
        private String ref;
        private String commit;
        private String dockerfile;
        private String context;
        private Map<String, String> buildArgs = Map.of();
        private String format;
        private String runnerId;
        private String runnerName;
        private String emulation;
        private String invocationId;
        private Instant startedOn;
        private Instant finishedOn;
        private String version;

        private Builder(String builderId, Digest image, String subjectName, Platform platform) {
            this.builderId = builderId;
            this.image = image;
            this.subjectName = subjectName;
            this.platform = platform;
        }

        /** @param repository a URI without credentials ({@code https://github.com/acme/app}, {@code file:///…}) */
        public Builder withSource(String repository, String ref, String commit) {
            this.repository = repository;
            this.ref = ref;
            this.commit = commit;
            return this;
        }

        public Builder withDockerfile(String dockerfile, String context) {
            this.dockerfile = dockerfile;
            this.context = context;
            return this;
        }

        /** All of them: the secret-looking ones are left out here, by {@link Redaction}'s rule. */
        public Builder withBuildArgs(Map<String, String> args) {
            this.buildArgs = args == null ? Map.of() : args;
            return this;
        }

        public Builder withFormat(String format) {
            this.format = format;
            return this;
        }

        /** @param emulation {@code native} or {@code qemu} */
        public Builder withRunner(String id, String name, String emulation) {
            this.runnerId = id;
            this.runnerName = name;
            this.emulation = emulation;
            return this;
        }

        public Builder withInvocation(String invocationId, Instant startedOn, Instant finishedOn) {
            this.invocationId = invocationId;
            this.startedOn = startedOn;
            this.finishedOn = finishedOn;
            return this;
        }

        public Builder withVersion(String multiarchVersion) {
            this.version = multiarchVersion;
            return this;
        }

        public Provenance create() {
            return new Provenance(this);
        }
    }
}
