package dev.multiarch.store;

import static dev.multiarch.store.Sql.inst;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageReference;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The build and job rows, read the one way every part of the store reads them: the columns selected and the mapping
 * to {@link BuildRecord} and {@link JobRecord}, typed once here ({@link Platform}, {@link Digest}, {@link
 * ImageReference}, the enums). The rows only one part reads are mapped in that part.
 */
final class Rows {
    private Rows() {}

    static final String BUILD_COLS = "id, repo, clone_url, commit_sha, ref, image, spec, tags, version, push, "
            + "untrusted, private_repo, state, error, index_digest, published_tags, trigger_info, created_at, updated_at";
    /** A job's trust is its build's: read through, never copied (one place to be right). */
    static final String JOB_COLS = "id, build_id, platform, state, runner_id, attempt, lease_expires, "
            + "timeout_seconds, digest, media_type, size, added_layers, error, started_at, finished_at, "
            + "(SELECT b.untrusted FROM builds b WHERE b.id = jobs.build_id) AS untrusted";

    static BuildRecord build(ResultSet r) throws SQLException {
        return BuildRecord.builder()
                .id(r.getLong("id"))
                .repo(r.getString("repo"))
                .cloneUrl(r.getString("clone_url"))
                .commit(r.getString("commit_sha"))
                .ref(r.getString("ref"))
                .image(image(r.getString("image")))
                .spec(r.getString("spec"))
                .tags(r.getString("tags"))
                .version(r.getString("version"))
                .push(r.getBoolean("push"))
                .untrusted(r.getBoolean("untrusted"))
                .privateRepo(r.getBoolean("private_repo"))
                .state(BuildState.valueOf(r.getString("state")))
                .error(r.getString("error"))
                .indexDigest(digest(r.getString("index_digest")))
                .publication(r.getString("published_tags"))
                .trigger(r.getString("trigger_info"))
                .createdAt(inst(r, "created_at"))
                .updatedAt(inst(r, "updated_at"))
                .build();
    }

    static JobRecord job(ResultSet r) throws SQLException {
        long size = r.getLong("size");
        Long sizeOrNull = r.wasNull() ? null : size;
        int layers = r.getInt("added_layers");
        Integer layersOrNull = r.wasNull() ? null : layers;
        return new JobRecord(
                r.getLong("id"),
                r.getLong("build_id"),
                Platform.parse(r.getString("platform")),
                JobState.valueOf(r.getString("state")),
                r.getString("runner_id"),
                r.getInt("attempt"),
                inst(r, "lease_expires"),
                r.getLong("timeout_seconds"),
                digest(r.getString("digest")),
                r.getString("media_type"),
                sizeOrNull,
                layersOrNull,
                r.getString("error"),
                inst(r, "started_at"),
                inst(r, "finished_at"),
                r.getBoolean("untrusted"));
    }

    /** A digest column: null stays null; anything else was checked before it was written. */
    static Digest digest(String text) {
        return text == null ? null : Digest.parse(text);
    }

    /**
     * The image column. Every build row ever written holds an {@link ImageReference}'s own text (the planner writes
     * {@code ImageReference.toString()}) or null (a build that failed before it had an image). Read defensively all the
     * same: a row that does not parse (edited by hand, or from a version that wrote something else) reads as no image
     * rather than making every page that lists it fail.
     */
    static ImageReference image(String text) {
        if (text == null) {
            return null;
        }
        try {
            return ImageReference.parse(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A runner's platform list: comma-separated short forms, empty for none. */
    static List<Platform> platforms(String text) {
        List<Platform> out = new ArrayList<>();
        for (String p : text == null ? new String[0] : text.split(",")) {
            if (!p.isBlank()) {
                out.add(Platform.parse(p));
            }
        }
        return List.copyOf(out);
    }

    static String shortForms(List<Platform> platforms) {
        return String.join(",", platforms.stream().map(Platform::shortForm).toList());
    }
}
