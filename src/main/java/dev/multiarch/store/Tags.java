package dev.multiarch.store;

import static dev.multiarch.store.Rows.digest;
import static dev.multiarch.store.Sql.duplicateKey;
import static dev.multiarch.store.Sql.inst;
import static dev.multiarch.store.Sql.list;
import static dev.multiarch.store.Sql.one;
import static dev.multiarch.store.Sql.read;
import static dev.multiarch.store.Sql.tx;
import static dev.multiarch.store.Sql.update;

import dev.multiarch.registry.Digest;
import dev.multiarch.store.Store.Publication;
import dev.multiarch.store.Store.TagOwner;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Which build owns each tag ({@code tag_owners}, moved by compare-and-set so that two builds cannot both take one),
 * every move of a tag ({@code tag_moves}, for the image page's history), and each image's publication outcome per
 * build ({@code publications}, one row per registry of {@code image: [A, B, …]}).
 */
final class Tags {
    /** What {@code publications.error} holds at most. */
    private static final int PUBLICATION_ERROR_CHARS = 2000;

    private final DataSource ds;
    private final Clock clock;
    private final Dialect dialect;

    Tags(DataSource ds, Clock clock, Dialect dialect) {
        this.ds = ds;
        this.clock = clock;
        this.dialect = dialect;
    }

    Optional<TagOwner> owner(String image, String tag) {
        return read(
                ds,
                c -> one(
                        c,
                        "SELECT t.build_id, t.version, b.repo FROM tag_owners t LEFT JOIN builds b ON b.id = t.build_id "
                                + "WHERE t.image = ? AND t.tag = ?",
                        r -> new TagOwner(r.getLong(1), r.getString(2), r.getString(3)),
                        image,
                        tag));
    }

    void setOwner(String image, String tag, long buildId, String version) {
        tx(
                ds,
                c -> update(
                        c,
                        dialect.upsert(
                                "tag_owners", List.of("image", "tag", "build_id", "version"), List.of("image", "tag")),
                        image,
                        tag,
                        buildId,
                        version));
    }

    boolean claim(String image, String tag, Long expectedOwner, long buildId, String version) {
        if (expectedOwner != null) {
            return tx(
                            ds,
                            c -> update(
                                    c,
                                    "UPDATE tag_owners SET build_id = ?, version = ? WHERE image = ? AND tag = ? AND build_id = ?",
                                    buildId,
                                    version,
                                    image,
                                    tag,
                                    expectedOwner))
                    == 1;
        }
        try {
            return tx(
                            ds,
                            c -> update(
                                    c,
                                    "INSERT INTO tag_owners (image, tag, build_id, version) VALUES (?, ?, ?, ?)",
                                    image,
                                    tag,
                                    buildId,
                                    version))
                    == 1;
        } catch (StoreException e) {
            // Another claim inserted the row first.
            if (duplicateKey(e)) {
                return false;
            }
            throw e;
        }
    }

    void recordMove(String image, String tag, long buildId, String indexDigest) {
        tx(
                ds,
                c -> update(
                        c,
                        "INSERT INTO tag_moves (image, tag, build_id, index_digest, moved_at) VALUES (?, ?, ?, ?, ?)",
                        image,
                        tag,
                        buildId,
                        indexDigest,
                        clock.instant()));
    }

    void setPublication(
            long buildId, int position, String image, PublicationState state, Digest indexDigest, String error) {
        String why = error == null || error.length() <= PUBLICATION_ERROR_CHARS
                ? error
                : error.substring(0, PUBLICATION_ERROR_CHARS - 1) + "…";
        tx(
                ds,
                c -> update(
                        c,
                        dialect.upsert(
                                "publications",
                                List.of("build_id", "seq", "image", "state", "index_digest", "error", "updated_at"),
                                List.of("build_id", "seq")),
                        buildId,
                        position,
                        image,
                        state.name(),
                        indexDigest == null ? null : indexDigest.toString(),
                        why,
                        clock.instant()));
    }

    List<Publication> publications(long buildId) {
        return read(
                ds,
                c -> list(
                        c,
                        "SELECT build_id, seq, image, state, index_digest, error, updated_at FROM publications "
                                + "WHERE build_id = ? ORDER BY seq",
                        r -> new Publication(
                                r.getLong(1),
                                r.getInt(2),
                                r.getString(3),
                                PublicationState.valueOf(r.getString(4)),
                                digest(r.getString(5)),
                                r.getString(6),
                                inst(r, "updated_at")),
                        buildId));
    }
}
