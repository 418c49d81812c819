package dev.multiarch.web;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.multiarch.config.TagRule;
import dev.multiarch.pipeline.BuildSpec;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.JobState;
import dev.multiarch.store.PublicationState;
import dev.multiarch.store.Store;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A build as the API and the page show it: no secrets, times as ISO-8601 text. {@code terminal}: the build will not
 * change any more (published, failed or cancelled), so a client can stop following it without knowing every state.
 * {@code private}: the repository is private, so the build is shown only to people who can read it.
 */
public record BuildView(
        long id,
        String repo,
        String ref,
        String commit,
        String image,
        String state,
        boolean terminal,
        String error,
        boolean push,
        boolean untrusted,
        @JsonProperty("private") boolean privateRepo,
        List<String> plannedTags,
        String indexDigest,
        String published,
        List<String> publishedTags,
        List<String> keptBack,
        String createdAt,
        String updatedAt,
        Double seconds,
        String url,
        List<JobView> jobs,
        List<RegistryView> registries) {

    /**
     * One registry the build publishes to ({@code image: [A, B, …]}), the build's own image first: {@code pending},
     * {@code published} or {@code failed} with the reason.
     */
    public record RegistryView(
            String image,

            @JsonSerialize(using = PublicationStateWord.class)
            PublicationState state,

            String indexDigest,
            String error,
            String updatedAt) {}

    /**
     * @param timings where the current attempt's time went: step → milliseconds, in the order the steps ran
     *                ({@code queue}, then the runner's {@code fetch}, {@code checkout}, {@code build}, {@code export},
     *                {@code inspect}, {@code audit}, {@code push}, {@code cleanup}, then the coordinator's
     *                {@code verify}); empty before the job starts
     */
    public record JobView(
            long id,
            String platform,
            @JsonSerialize(using = JobStateWord.class) JobState state,
            String runner,
            int attempt,
            String digest,
            Long size,
            String error,
            String startedAt,
            String finishedAt,
            Double seconds,
            Map<String, Long> timings) {}

    static BuildView of(
            BuildRecord b,
            List<JobRecord> jobs,
            Map<Long, Map<String, Long>> timings,
            String publicUrl,
            List<Store.Publication> publications) {
        List<JobView> js = jobs.stream()
                .map(j -> new JobView(
                        j.id(),
                        j.platform().shortForm(),
                        j.state(),
                        j.runnerId(),
                        j.attempt(),
                        text(j.digest()),
                        j.size(),
                        j.error(),
                        text(j.startedAt()),
                        text(j.finishedAt()),
                        seconds(j.startedAt(), j.finishedAt()),
                        timings.getOrDefault(j.id(), Map.of())))
                .toList();
        List<String> tags = b.tags() == null
                ? List.of()
                : BuildSpec.tagsFromJson(b.tags()).stream()
                        .map(TagRule.PlannedTag::tag)
                        .toList();
        return new BuildView(
                b.id(),
                b.repo(),
                b.ref(),
                b.commit(),
                text(b.image()),
                b.state().word(),
                b.state().terminal(),
                b.error(),
                b.push(),
                b.untrusted(),
                b.privateRepo(),
                tags,
                text(b.indexDigest()),
                b.publication(),
                b.publishedTags(),
                b.keptBack(),
                text(b.createdAt()),
                text(b.updatedAt()),
                b.state().terminal() ? seconds(b.createdAt(), b.updatedAt()) : null,
                publicUrl + "/builds/" + b.id(),
                js,
                publications.stream()
                        .map(p -> new RegistryView(
                                p.image(), p.state(), text(p.indexDigest()), p.error(), text(p.updatedAt())))
                        .toList());
    }

    /**
     * A job's state as the API writes it: its {@link JobState#word() word} ({@code succeeded}), not the enum's name.
     * Only here: the store's enums keep Jackson's default wherever else they are written.
     */
    static final class JobStateWord extends JsonSerializer<JobState> {
        @Override
        public void serialize(JobState value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
            gen.writeString(value.word());
        }
    }

    /** A registry's state as the API writes it: its {@link PublicationState#word() word} ({@code published}). */
    static final class PublicationStateWord extends JsonSerializer<PublicationState> {
        @Override
        public void serialize(PublicationState value, JsonGenerator gen, SerializerProvider serializers)
                throws IOException {
            gen.writeString(value.word());
        }
    }

    /** A digest or an image reference as the API has always shown it: its text; null stays null. */
    private static String text(Object typed) {
        return typed == null ? null : typed.toString();
    }

    private static String text(Instant i) {
        return i == null ? null : i.toString();
    }

    private static Double seconds(Instant a, Instant b) {
        return a == null || b == null ? null : Duration.between(a, b).toMillis() / 1000.0;
    }
}
