package dev.multiarch.github;

import dev.multiarch.store.DeliveryState;
import dev.multiarch.store.Store;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The webhook intake's journal in the embedded store's directory: signed deliveries appended to {@code
 * journal-N.log} segments (mode 0600: the payloads are tenant data) before they are acknowledged, deleted once every
 * record of a segment is committed to the store. An append is a {@code write()} into the operating system's page
 * cache, not synced, as H2's own commits are: it survives the coordinator being killed, not necessarily a power cut.
 *
 * <p>A record: its body's length (4 bytes), a CRC32C of the length and the body (4 bytes), then the body: a version
 * byte (1) and the delivery's fields: hook id, delivery id, event (each a 4-byte length and UTF-8), the time received
 * (8-byte epoch second, 4-byte nanosecond), the payload (a 4-byte length and its UTF-8 bytes).
 *
 * <p>{@link #open} reads what an earlier process left. A record cut short at the end of the newest segment (the
 * process was killed during an append) was never acknowledged: it is truncated. Any other unreadable record is not
 * dropped silently: its segment is kept aside as {@code journal-N.corrupt} once what was readable in it is committed
 * ({@link #replayed}), with a warning naming it; reading goes on at the next record that checks out.
 *
 * <p>Bounded: past {@link #maxRecords} records or {@link #maxBytes} bytes waiting for the store, an append is refused
 * (the intake answers 503), so a failing store does not make the journal grow without limit. Thread-safe: one thread
 * appends, another reports what was committed.
 */
final class DeliveryJournal implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DeliveryJournal.class.getName());
    static final byte VERSION = 1;
    /** A segment is closed and a new one begun past this size (segments are deleted whole). */
    static final long SEGMENT_BYTES = 8L * 1024 * 1024;
    /** Defaults of the bound: records, and bytes, waiting for the store. */
    static final int MAX_RECORDS = 50_000;

    /**
     * What is journaled is also in memory until stored (its payload), which the body budget bounds
     * ({@link GitHubIntegration#BODY_BUDGET}, 64 MB of bodies held until stored); this bounds what a start replays.
     */
    static final long MAX_BYTES = 128L * 1024 * 1024;
    /** The largest record body read back: a 25 MB payload and generous headers. */
    static final int MAX_RECORD = (int) GitHubIntegration.MAX_PAYLOAD + 1024 * 1024;

    private static final Pattern NAME = Pattern.compile("journal-(\\d+)\\.log");
    private static final Pattern ANY = Pattern.compile("journal-(\\d+)\\.(log|corrupt)");

    /**
     * The segments in {@code dir} that hold records ({@code journal-N.log}, not empty), without opening them: what a
     * coordinator on PostgreSQL finds when the embedded store it used before (or a newer multiarch) left deliveries
     * acknowledged and not yet stored. Empty when the directory does not exist.
     */
    static List<Path> leftIn(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> left = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : (Iterable<Path>) list::iterator) {
                if (NAME.matcher(p.getFileName().toString()).matches() && Files.size(p) > 0) {
                    left.add(p);
                }
            }
        }
        left.sort(null);
        return left;
    }

    /** One segment file: its records not yet committed, its size. */
    static final class Segment {
        final long number;
        final Path path;
        long bytes;
        int uncommitted;
        boolean corrupt;
        boolean gone;

        Segment(long number, Path path) {
            this.number = number;
            this.path = path;
        }

        @Override
        public String toString() {
            return path.getFileName().toString();
        }
    }

    /** A delivery read back from a segment. */
    record Entry(Store.Delivery delivery, Segment segment) {}

    private final Path dir;
    /** {@code journal.lock}, held while open: one journal per directory (the store's lock covers processes). */
    private FileChannel lockFile;

    private java.nio.channels.FileLock lock;
    private final int maxRecords;
    private final long maxBytes;
    private final TreeMap<Long, Segment> segments = new TreeMap<>();
    private final List<Entry> found;
    private Segment current;
    private FileChannel channel;
    private long nextNumber;
    private long bytes;
    private int records;

    private DeliveryJournal(Path dir, int maxRecords, long maxBytes, List<Entry> found) {
        this.dir = dir;
        this.maxRecords = maxRecords;
        this.maxBytes = maxBytes;
        this.found = found;
    }

    /** The journal in {@code dir}, with what an earlier process left in it ({@link #found}). */
    static DeliveryJournal open(Path dir) throws IOException {
        return open(dir, MAX_RECORDS, MAX_BYTES);
    }

    static DeliveryJournal open(Path dir, int maxRecords, long maxBytes) throws IOException {
        Files.createDirectories(dir);
        FileChannel lockFile =
                FileChannel.open(dir.resolve("journal.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        java.nio.channels.FileLock lock;
        try {
            lock = lockFile.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            lockFile.close();
            throw new IOException("the webhook journal in " + dir + " is open already");
        }
        try {
            TreeMap<Long, Path> files = new TreeMap<>();
            long highest = 0;
            try (Stream<Path> list = Files.list(dir)) {
                for (Path p : (Iterable<Path>) list::iterator) {
                    String name = p.getFileName().toString();
                    Matcher m = NAME.matcher(name);
                    if (m.matches()) {
                        files.put(Long.parseLong(m.group(1)), p);
                    }
                    Matcher c = ANY.matcher(name);
                    if (c.matches()) {
                        highest = Math.max(highest, Long.parseLong(c.group(1)));
                    }
                }
            }
            List<Entry> found = new ArrayList<>();
            DeliveryJournal j = new DeliveryJournal(dir, maxRecords, maxBytes, found);
            j.lockFile = lockFile;
            j.lock = lock;
            for (var f : files.entrySet()) {
                Segment s = new Segment(f.getKey(), f.getValue());
                j.read(s, f.getKey().equals(files.lastKey()), found);
                j.segments.put(s.number, s);
                j.bytes += s.bytes;
                j.records += s.uncommitted;
            }
            j.nextNumber = highest + 1;
            return j;
        } catch (IOException | RuntimeException e) {
            lockFile.close();
            throw e;
        }
    }

    /** What an earlier process left, in the order it was appended; to be committed, then {@link #replayed}. */
    List<Entry> found() {
        return List.copyOf(found);
    }

    /** Reads a segment's records into {@code into}; truncates a torn tail when it is the newest. */
    private void read(Segment s, boolean newest, List<Entry> into) throws IOException {
        byte[] data = Files.readAllBytes(s.path);
        int pos = 0;
        List<String> problems = new ArrayList<>();
        while (pos < data.length) {
            int end = recordEnd(data, pos);
            if (end == NEWER) {
                // Acknowledged deliveries this version cannot read: never set aside as if they were damage.
                throw new IOException("webhook journal " + s + " holds a record of version " + data[pos + 8]
                        + " (this multiarch writes " + VERSION + "): written by a newer multiarch; start that one to"
                        + " store what it acknowledged, or move " + s.path + " away to start without it");
            }
            if (end > 0) {
                into.add(new Entry(decode(data, pos + 8, end), s));
                s.uncommitted++;
                pos = end;
                continue;
            }
            if (end == TORN && newest) {
                int at = pos;
                LOG.warning(() -> "webhook journal " + s + ": an append cut short at byte " + at + " of " + data.length
                        + " (the coordinator was stopped during it; never acknowledged): truncated");
                try (FileChannel c = FileChannel.open(s.path, StandardOpenOption.WRITE)) {
                    c.truncate(pos);
                }
                break;
            }
            int next = pos + 1;
            while (next < data.length && recordEnd(data, next) <= 0 && recordEnd(data, next) != NEWER) {
                next++;
            }
            problems.add("bytes " + pos + " to " + next + (end == TORN ? " (cut short)" : ""));
            s.corrupt = true;
            pos = next;
        }
        s.bytes = Files.size(s.path);
        if (s.corrupt) {
            LOG.severe(() -> "webhook journal " + s + " has unreadable records (" + String.join(", ", problems)
                    + "); the " + s.uncommitted + " readable ones are stored, and the file is kept aside as "
                    + s.path.getFileName().toString().replace(".log", ".corrupt") + " for a person to look at");
        }
    }

    private static final int TORN = -1;
    private static final int BAD = -2;
    /** A whole record whose checksum holds, of a version after {@link #VERSION}. */
    private static final int NEWER = -3;

    /** Where the record at {@code pos} ends if it is whole and checks out; {@link #TORN} or {@link #BAD} if not. */
    private static int recordEnd(byte[] data, int pos) {
        if (data.length - pos < 8) {
            return TORN;
        }
        ByteBuffer b = ByteBuffer.wrap(data);
        int length = b.getInt(pos);
        if (length < 1 || length > MAX_RECORD) {
            return BAD;
        }
        if ((long) pos + 8 + length > data.length) {
            return TORN;
        }
        CRC32C crc = new CRC32C();
        crc.update(data, pos, 4);
        crc.update(data, pos + 8, length);
        if ((int) crc.getValue() != b.getInt(pos + 4)) {
            return BAD;
        }
        if (data[pos + 8] > VERSION) {
            return NEWER;
        }
        try {
            decode(data, pos + 8, pos + 8 + length);
        } catch (RuntimeException e) {
            return BAD;
        }
        return pos + 8 + length;
    }

    /** One delivery as a record. */
    static ByteBuffer encode(Store.Delivery d) {
        byte[] hook = d.hookId().getBytes(StandardCharsets.UTF_8);
        byte[] id = d.deliveryId().getBytes(StandardCharsets.UTF_8);
        byte[] event = d.event().getBytes(StandardCharsets.UTF_8);
        byte[] payload = d.payload().getBytes(StandardCharsets.UTF_8);
        int length = 1 + 4 + hook.length + 4 + id.length + 4 + event.length + 12 + 4 + payload.length;
        ByteBuffer b = ByteBuffer.allocate(8 + length);
        b.putInt(length).putInt(0).put(VERSION);
        b.putInt(hook.length)
                .put(hook)
                .putInt(id.length)
                .put(id)
                .putInt(event.length)
                .put(event);
        b.putLong(d.receivedAt().getEpochSecond()).putInt(d.receivedAt().getNano());
        b.putInt(payload.length).put(payload);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 4);
        crc.update(b.array(), 8, length);
        b.putInt(4, (int) crc.getValue());
        return b.flip();
    }

    /** The body between {@code from} and {@code to}; throws when it does not parse exactly. */
    static Store.Delivery decode(byte[] data, int from, int to) {
        ByteBuffer b = ByteBuffer.wrap(data, from, to - from).slice();
        byte version = b.get();
        if (version != VERSION) {
            throw new IllegalArgumentException("journal record version " + version);
        }
        String hook = string(b);
        String id = string(b);
        String event = string(b);
        Instant at = Instant.ofEpochSecond(b.getLong(), b.getInt());
        String payload = string(b);
        if (b.hasRemaining()) {
            throw new IllegalArgumentException("journal record has " + b.remaining() + " bytes too many");
        }
        return new Store.Delivery(hook, id, event, payload, at, DeliveryState.RECEIVED, null);
    }

    private static String string(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) {
            throw new IllegalArgumentException("journal field of " + n + " bytes");
        }
        String s = new String(b.array(), b.arrayOffset() + b.position(), n, StandardCharsets.UTF_8);
        b.position(b.position() + n);
        return s;
    }

    /**
     * Appends as many of {@code records} ({@link #encode}d), in order, as the bound allows, in one write; answers how
     * many, and the segment holding them. Throws when the write failed (none of them may be taken as appended).
     */
    synchronized Appended append(List<ByteBuffer> records) throws IOException {
        int fit = 0;
        long size = 0;
        for (ByteBuffer r : records) {
            if (this.records + fit + 1 > maxRecords || bytes + size + r.remaining() > maxBytes) {
                break;
            }
            fit++;
            size += r.remaining();
        }
        if (fit == 0) {
            return new Appended(0, current);
        }
        if (current == null || current.bytes >= SEGMENT_BYTES) {
            begin();
        }
        ByteBuffer[] out = records.subList(0, fit).toArray(ByteBuffer[]::new);
        long before = current.bytes;
        try {
            long left = size;
            while (left > 0) {
                left -= channel.write(out);
            }
        } catch (IOException e) {
            // Nothing half-written may stay in front of later appends: cut it off, or leave this segment.
            try {
                channel.truncate(before);
            } catch (IOException again) {
                seal();
            }
            throw e;
        }
        current.bytes += size;
        current.uncommitted += fit;
        bytes += size;
        this.records += fit;
        return new Appended(fit, current);
    }

    /** How many records {@link #append} took, and where. */
    record Appended(int count, Segment segment) {}

    private void begin() throws IOException {
        seal();
        long n = nextNumber++;
        Segment s = new Segment(n, dir.resolve("journal-" + n + ".log"));
        Set<StandardOpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        FileChannel c;
        try {
            c = FileChannel.open(
                    s.path,
                    options,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            c = FileChannel.open(s.path, options);
        }
        channel = c;
        current = s;
        segments.put(s.number, s);
    }

    /** Stops appending to the current segment; deleted now if everything in it is committed. */
    private void seal() {
        if (current == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.warning("closing webhook journal " + current + ": " + e.getMessage());
        }
        Segment s = current;
        current = null;
        channel = null;
        if (s.uncommitted == 0) {
            delete(s);
        }
    }

    /** {@code n} records of {@code s} are committed to the store: the segment goes once all of it is. */
    synchronized void committed(Segment s, int n) {
        s.uncommitted -= n;
        records -= n;
        if (s.uncommitted == 0) {
            if (s == current) {
                seal();
            } else {
                delete(s);
            }
        }
    }

    /** Everything {@link #found} was committed: those segments go, the unreadable ones kept aside. */
    synchronized void replayed() {
        for (Entry e : found) {
            e.segment().uncommitted--;
            records--;
        }
        found.clear();
        for (Segment s : List.copyOf(segments.values())) {
            if (s != current && s.uncommitted == 0) {
                delete(s);
            }
        }
    }

    private void delete(Segment s) {
        if (s.gone) {
            return;
        }
        s.gone = true;
        segments.remove(s.number);
        bytes -= s.bytes;
        try {
            if (s.corrupt) {
                Path aside =
                        s.path.resolveSibling(s.path.getFileName().toString().replace(".log", ".corrupt"));
                Files.move(s.path, aside);
                LOG.severe("webhook journal " + s + " had unreadable records: kept aside as " + aside);
            } else {
                Files.deleteIfExists(s.path);
            }
        } catch (IOException e) {
            LOG.warning("removing webhook journal " + s + " (all of it is stored) failed: " + e.getMessage());
        }
    }

    /** Records, and bytes, waiting for the store. */
    synchronized int records() {
        return records;
    }

    synchronized long bytes() {
        return bytes;
    }

    /** Closes the segment; the journal is left as it is (what was not committed is read by the next {@link #open}). */
    @Override
    public synchronized void close() {
        seal();
        try {
            if (lock != null) {
                lock.release();
            }
            lockFile.close();
        } catch (IOException e) {
            LOG.warning("releasing the webhook journal's lock: " + e.getMessage());
        }
        lock = null;
    }
}
