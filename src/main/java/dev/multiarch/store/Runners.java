package dev.multiarch.store;

import static dev.multiarch.store.Rows.platforms;
import static dev.multiarch.store.Rows.shortForms;
import static dev.multiarch.store.Sql.inst;
import static dev.multiarch.store.Sql.list;
import static dev.multiarch.store.Sql.one;
import static dev.multiarch.store.Sql.read;
import static dev.multiarch.store.Sql.tx;
import static dev.multiarch.store.Sql.update;

import dev.multiarch.store.Store.Census;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Registered runners (found by the hash of their token, never the token) and when each was last seen; and the
 * census the metrics read: builds by state, queued jobs by platform, runners seen and busy.
 */
final class Runners {
    private final DataSource ds;

    Runners(DataSource ds) {
        this.ds = ds;
    }

    void add(RunnerRecord r) {
        tx(
                ds,
                c -> update(
                        c,
                        "INSERT INTO runners (id, name, token_hash, native_platforms, qemu_platforms, registered_at, "
                                + "last_seen, untrusted_jobs) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        r.id(),
                        r.name(),
                        r.tokenHash(),
                        shortForms(r.nativePlatforms()),
                        shortForms(r.qemuPlatforms()),
                        r.registeredAt(),
                        r.lastSeen(),
                        r.untrustedJobs()));
    }

    Optional<RunnerRecord> byTokenHash(String tokenHash) {
        return read(ds, c -> one(c, "SELECT * FROM runners WHERE token_hash = ?", Runners::runner, tokenHash));
    }

    Optional<RunnerRecord> byId(String id) {
        return read(ds, c -> one(c, "SELECT * FROM runners WHERE id = ?", Runners::runner, id));
    }

    void touch(String runnerId, Instant at) {
        tx(ds, c -> update(c, "UPDATE runners SET last_seen = ? WHERE id = ?", at, runnerId));
    }

    Census census(Instant runnersSeenSince) {
        return read(ds, c -> {
            Map<BuildState, Long> builds = new java.util.EnumMap<>(BuildState.class);
            for (BuildState st : BuildState.values()) {
                builds.put(st, 0L);
            }
            for (Map.Entry<String, Long> e : list(
                    c,
                    "SELECT state, COUNT(*) FROM builds GROUP BY state",
                    r -> Map.entry(r.getString(1), r.getLong(2)))) {
                builds.put(BuildState.valueOf(e.getKey()), e.getValue());
            }
            Map<String, Long> queued = new java.util.TreeMap<>();
            for (Map.Entry<String, Long> e : list(
                    c,
                    "SELECT platform, COUNT(*) FROM jobs WHERE state = 'QUEUED' GROUP BY platform",
                    r -> Map.entry(r.getString(1), r.getLong(2)))) {
                queued.put(e.getKey(), e.getValue());
            }
            java.util.Set<String> platforms = new java.util.TreeSet<>();
            List<String> seenRunners = list(
                    c,
                    "SELECT native_platforms, qemu_platforms FROM runners WHERE last_seen >= ?",
                    r -> r.getString(1) + "," + r.getString(2),
                    runnersSeenSince);
            for (String csv : seenRunners) {
                for (String p : csv.split(",")) {
                    if (!p.isBlank()) {
                        platforms.add(p.trim());
                    }
                }
            }
            int seen = seenRunners.size();
            int busy = one(c, "SELECT COUNT(DISTINCT runner_id) FROM jobs WHERE state = 'RUNNING'", r -> r.getInt(1))
                    .orElse(0);
            return new Census(
                    java.util.Collections.unmodifiableMap(builds),
                    java.util.Collections.unmodifiableMap(queued),
                    seen,
                    busy,
                    java.util.Collections.unmodifiableSet(platforms));
        });
    }

    List<RunnerRecord> all() {
        return read(ds, c -> list(c, "SELECT * FROM runners ORDER BY registered_at", Runners::runner));
    }

    private static RunnerRecord runner(ResultSet r) throws SQLException {
        return new RunnerRecord(
                r.getString("id"),
                r.getString("name"),
                r.getString("token_hash"),
                platforms(r.getString("native_platforms")),
                platforms(r.getString("qemu_platforms")),
                inst(r, "registered_at"),
                inst(r, "last_seen"),
                r.getBoolean("untrusted_jobs"));
    }
}
