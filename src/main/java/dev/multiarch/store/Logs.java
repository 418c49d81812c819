package dev.multiarch.store;

import static dev.multiarch.store.Sql.list;
import static dev.multiarch.store.Sql.one;
import static dev.multiarch.store.Sql.read;
import static dev.multiarch.store.Sql.txKeyed;
import static dev.multiarch.store.Sql.update;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Job logs: chunks per job and attempt, stored deflated, at most {@code keepBytes} per attempt (the oldest chunks go
 * first, and {@code job_log_totals} counts what was cut so that a reader is told). Readers page forwards by sequence
 * number or take the newest bytes.
 */
final class Logs {
    private final DataSource ds;

    Logs(DataSource ds) {
        this.ds = ds;
    }

    void append(long jobId, int attempt, String text, long keepBytes) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        String chunk = text;
        long cut = 0;
        if (utf8.length > keepBytes) {
            chunk = tail(utf8, (int) keepBytes);
            cut = utf8.length - chunk.getBytes(StandardCharsets.UTF_8).length;
        }
        int size = utf8.length - (int) cut;
        String kept = chunk;
        long firstCut = cut;
        // Keyed: two appends to one attempt's log at once, with no totals row yet, must not both start from zero
        // (an upsert would keep only the second's count); the loser of the insert runs again and adds to the winner's.
        txKeyed(ds, c -> {
            Optional<long[]> totals = one(
                    c,
                    "SELECT bytes, cut_bytes FROM job_log_totals WHERE job_id = ? AND attempt = ? FOR UPDATE",
                    r -> new long[] {r.getLong(1), r.getLong(2)},
                    jobId,
                    attempt);
            long total = totals.map(t -> t[0]).orElse(0L) + size;
            long cutTotal = totals.map(t -> t[1]).orElse(0L) + firstCut;
            if (total > keepBytes) {
                List<long[]> oldest = list(
                        c,
                        "SELECT seq, bytes FROM job_logs WHERE job_id = ? AND attempt = ? ORDER BY seq",
                        r -> new long[] {r.getLong(1), r.getLong(2)},
                        jobId,
                        attempt);
                for (long[] o : oldest) {
                    if (total <= keepBytes) {
                        break;
                    }
                    update(c, "DELETE FROM job_logs WHERE seq = ?", o[0]);
                    total -= o[1];
                    cutTotal += o[1];
                }
            }
            update(
                    c,
                    "INSERT INTO job_logs (job_id, attempt, chunk_z, bytes) VALUES (?, ?, ?, ?)",
                    jobId,
                    attempt,
                    Deflated.of(kept),
                    size);
            if (totals.isPresent()) {
                update(
                        c,
                        "UPDATE job_log_totals SET bytes = ?, cut_bytes = ? WHERE job_id = ? AND attempt = ?",
                        total,
                        cutTotal,
                        jobId,
                        attempt);
            } else {
                update(
                        c,
                        "INSERT INTO job_log_totals (job_id, attempt, bytes, cut_bytes) VALUES (?, ?, ?, ?)",
                        jobId,
                        attempt,
                        total,
                        cutTotal);
            }
            return null;
        });
    }

    List<LogChunk> after(long jobId, long afterSeq, int maxChunks) {
        return read(
                ds,
                c -> withMarkers(
                        c,
                        jobId,
                        list(
                                c,
                                "SELECT seq, attempt, chunk, chunk_z FROM job_logs WHERE job_id = ? AND seq > ? ORDER BY seq "
                                        + "LIMIT ?",
                                Logs::logChunk,
                                jobId,
                                afterSeq,
                                maxChunks)));
    }

    List<LogChunk> tail(long jobId, long maxBytes) {
        return read(ds, c -> {
            List<long[]> newest = list(
                    c,
                    "SELECT seq, bytes FROM job_logs WHERE job_id = ? ORDER BY seq DESC",
                    r -> new long[] {r.getLong(1), r.getLong(2)},
                    jobId);
            long sum = 0;
            long from = Long.MAX_VALUE;
            for (long[] n : newest) {
                if (sum + n[1] > maxBytes && from != Long.MAX_VALUE) {
                    break;
                }
                sum += n[1];
                from = n[0];
            }
            if (from == Long.MAX_VALUE) {
                return List.of();
            }
            List<LogChunk> chunks = list(
                    c,
                    "SELECT seq, attempt, chunk, chunk_z FROM job_logs WHERE job_id = ? AND seq >= ? ORDER BY seq",
                    Logs::logChunk,
                    jobId,
                    from);
            long earlier = one(
                            c,
                            "SELECT COALESCE(SUM(bytes), 0) FROM job_logs WHERE job_id = ? AND seq < ?",
                            r -> r.getLong(1),
                            jobId,
                            from)
                    .orElse(0L);
            List<LogChunk> out = new ArrayList<>(withMarkers(c, jobId, chunks));
            if (earlier > 0 && !out.isEmpty()) {
                out.add(
                        0,
                        new LogChunk(
                                0,
                                out.get(0).attempt(),
                                "[multiarch: showing the last " + sum + " bytes; " + earlier
                                        + " earlier bytes are in the full log]\n"));
            }
            return out;
        });
    }

    private static LogChunk logChunk(ResultSet r) throws SQLException {
        return new LogChunk(
                r.getLong("seq"), r.getInt("attempt"), Deflated.either(r.getBytes("chunk_z"), r.getString("chunk")));
    }

    /** The last {@code max} bytes of {@code utf8} as text, not starting inside a character. */
    private static String tail(byte[] utf8, int max) {
        int from = utf8.length - max;
        while (from < utf8.length && (utf8[from] & 0xC0) == 0x80) {
            from++;
        }
        return new String(utf8, from, utf8.length - from, StandardCharsets.UTF_8);
    }

    /** Puts a cut marker before the first chunk of each attempt whose beginning was cut, when that chunk is here. */
    private static List<LogChunk> withMarkers(Connection c, long jobId, List<LogChunk> chunks) throws SQLException {
        if (chunks.isEmpty()) {
            return chunks;
        }
        List<long[]> cuts = list(
                c,
                "SELECT t.attempt, t.cut_bytes, (SELECT MIN(seq) FROM job_logs l WHERE l.job_id = t.job_id "
                        + "AND l.attempt = t.attempt) FROM job_log_totals t WHERE t.job_id = ? AND t.cut_bytes > 0",
                r -> new long[] {r.getLong(1), r.getLong(2), r.getLong(3)},
                jobId);
        if (cuts.isEmpty()) {
            return chunks;
        }
        List<LogChunk> out = new ArrayList<>();
        for (LogChunk ch : chunks) {
            for (long[] cut : cuts) {
                if (cut[2] == ch.seq()) {
                    out.add(LogChunk.cutMarker(ch.attempt(), cut[1]));
                }
            }
            out.add(ch);
        }
        return out;
    }
}
