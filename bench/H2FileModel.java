import java.io.ByteArrayOutputStream;
import java.nio.file.*;
import java.sql.*;
import java.util.*;
import java.util.zip.Deflater;

/**
 * A model of what the webhook journal's group commits make H2 write (the store package documentation, "Where a
 * delivery's bytes went"): on a bare H2 file with the deliveries table of the migrations, N distinct payloads
 * (BODY with its 40-hex ids and commit message replaced at random, deflated as the store does) inserted G at a time,
 * each group's transaction also marking the previous group's deliveries, as JournalIntake does; then the file's size
 * open, and after SHUTDOWN COMPACT. It reproduced bench/webhook-load's open file (212 MB for 35,000 at main) without
 * a coordinator. Usage: java -cp target/multiarch.jar bench/H2FileModel.java BODY N G SCHEMA [;H2_SETTINGS], SCHEMA
 * one of plain (the payload in the row, before V16), split (V16: the payload in an insert-only table under a
 * sequential number), with "-nomark" (no marks) and/or "-nopk" (no primary key: only with -nomark, or every mark
 * scans the table) appended; BODY e.g. from `java -cp target/multiarch.jar bench/WebhookLoad.java sample PUSH 1`.
 * The database goes to target/h2-file-model.
 */
public class H2FileModel {
    public static void main(String[] a) throws Exception {
        String body = Files.readString(Path.of(a[0]));
        int n = Integer.parseInt(a[1]);
        int g = Integer.parseInt(a[2]);
        String schema = a[3]; // plain | split
        String extra = a.length > 4 ? a[4] : "";
        Path dir = Path.of("target/h2-file-model").toAbsolutePath();
        if (Files.exists(dir)) for (Path p : Files.list(dir).toList()) Files.delete(p);
        Files.createDirectories(dir);
        String url = "jdbc:h2:file:" + dir.resolve("m") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0" + extra;
        SplittableRandom r = new SplittableRandom(7);
        long deflated = 0;
        try (Connection c = DriverManager.getConnection(url, "sa", "")) {
            Statement s = c.createStatement();
            s.execute(
                    "CREATE TABLE deliveries (hook_id VARCHAR(64) NOT NULL, delivery_id VARCHAR(100) NOT NULL, event VARCHAR(100) NOT NULL, payload CLOB, received_at TIMESTAMP WITH TIME ZONE NOT NULL, state VARCHAR(20) NOT NULL, note CLOB, payload_z VARBINARY, claimed_until TIMESTAMP WITH TIME ZONE, claimed_by VARCHAR(64), "
                            + (schema.startsWith("split") ? "payload_id BIGINT, " : "")
                            + "PRIMARY KEY (hook_id, delivery_id))");
            if (schema.contains("nopk")) s.execute("ALTER TABLE deliveries DROP PRIMARY KEY");
            s.execute("CREATE INDEX deliveries_state ON deliveries(state)");
            s.execute("CREATE INDEX deliveries_received ON deliveries(received_at)");
            if (schema.startsWith("split"))
                s.execute("CREATE TABLE delivery_payloads (id BIGINT PRIMARY KEY, payload_z VARBINARY NOT NULL)");
            c.setAutoCommit(false);
            List<String> prev = List.of();
            long id = 0;
            long t0 = System.nanoTime();
            for (int done = 0; done < n; done += g) {
                List<String> ids = new ArrayList<>();
                PreparedStatement ins = c.prepareStatement(
                        schema.startsWith("split")
                                ? "INSERT INTO deliveries (hook_id, delivery_id, event, payload_id, received_at, state, claimed_until) VALUES ('4242', ?, 'push', ?, CURRENT_TIMESTAMP, 'received', CURRENT_TIMESTAMP)"
                                : "INSERT INTO deliveries (hook_id, delivery_id, event, payload_z, received_at, state, claimed_until) VALUES ('4242', ?, 'push', ?, CURRENT_TIMESTAMP, 'received', CURRENT_TIMESTAMP)");
                PreparedStatement pay = schema.startsWith("split")
                        ? c.prepareStatement("INSERT INTO delivery_payloads VALUES (?, ?)")
                        : null;
                for (int i = 0; i < g && done + i < n; i++) {
                    String did = UUID.randomUUID().toString();
                    ids.add(did);
                    byte[] z = deflate(vary(body, r));
                    deflated += z.length;
                    ins.setString(1, did);
                    if (pay != null) {
                        ins.setLong(2, ++id);
                        pay.setLong(1, id);
                        pay.setBytes(2, z);
                        pay.addBatch();
                    } else {
                        ins.setBytes(2, z);
                    }
                    ins.addBatch();
                }
                if (pay != null) pay.executeBatch();
                ins.executeBatch();
                PreparedStatement mark = c.prepareStatement(
                        "UPDATE deliveries SET state = 'ignored', note = 'no workflow' WHERE hook_id = '4242' AND delivery_id = ?");
                if (!schema.endsWith("nomark"))
                    for (String p : prev) {
                        mark.setString(1, p);
                        mark.addBatch();
                    }
                mark.executeBatch();
                c.commit();
                prev = ids;
            }
            long open = Files.size(dir.resolve("m.mv.db"));
            double secs = (System.nanoTime() - t0) / 1e9;
            c.createStatement().execute("SHUTDOWN COMPACT");
            long closed = Files.size(dir.resolve("m.mv.db"));
            System.out.printf(
                    Locale.ROOT,
                    "%s %s g=%d n=%d: %.1f s; open %.1f MB, closed %.1f MB, deflated %.1f MB; open/closed %.2f, open/deflated %.2f; per delivery written %.2f KB%n",
                    schema,
                    extra,
                    g,
                    n,
                    secs,
                    open / 1048576.0,
                    closed / 1048576.0,
                    deflated / 1048576.0,
                    (double) open / closed,
                    (double) open / deflated,
                    open / 1024.0 / n);
        }
    }

    static final String HEX = "0123456789abcdef";

    static String vary(String b, SplittableRandom r) {
        StringBuilder s = new StringBuilder(b.length());
        // replace every hex digit inside 40-hex runs and letters of the message with random ones
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("[0-9a-f]{40}|\"message\":\"[^\"]*\"")
                .matcher(b);
        int last = 0;
        Map<String, String> same = new HashMap<>();
        while (m.find()) {
            s.append(b, last, m.start());
            String t = m.group();
            if (t.startsWith("\"message")) {
                StringBuilder x = new StringBuilder("\"message\":\"");
                for (int i = 0; i < 40 + r.nextInt(60); i++)
                    x.append((char) (r.nextInt(6) == 0 ? ' ' : 'a' + r.nextInt(26)));
                s.append(x).append('"');
            } else {
                s.append(same.computeIfAbsent(t, k -> {
                    StringBuilder h = new StringBuilder();
                    for (int i = 0; i < 40; i++) h.append(HEX.charAt(r.nextInt(16)));
                    return h.toString();
                }));
            }
            last = m.end();
        }
        s.append(b.substring(last));
        return s.toString();
    }

    static byte[] deflate(String t) {
        Deflater d = new Deflater(6);
        d.setInput(t.getBytes());
        d.finish();
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (!d.finished()) o.write(buf, 0, d.deflate(buf));
        d.end();
        return o.toByteArray();
    }
}
