package dev.multiarch.github;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.store.DeliveryState;
import dev.multiarch.store.Store;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The webhook journal's records and segments, on files. */
class DeliveryJournalTest {
    @TempDir
    Path dir;

    static Store.Delivery delivery(String id) {
        return new Store.Delivery(
                "7",
                id,
                "push",
                "{\"id\":\"" + id + "\",\"é\":\"✓\"}",
                Instant.parse("2026-11-28T12:00:00.123456789Z"),
                DeliveryState.RECEIVED,
                null);
    }

    private List<String> files() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(f -> !f.equals("journal.lock"))
                    .sorted()
                    .toList();
        }
    }

    private Path onlyLog() throws Exception {
        List<String> logs = files().stream().filter(f -> f.endsWith(".log")).toList();
        assertEquals(1, logs.size(), "segments: " + files());
        return dir.resolve(logs.get(0));
    }

    @Test
    void aRecord_readsBackAsWritten_theFileIsTheOwnersOnly() throws Exception {
        ByteBuffer r = DeliveryJournal.encode(delivery("a"));
        byte[] bytes = new byte[r.remaining()];
        r.duplicate().get(bytes);
        assertEquals(delivery("a"), DeliveryJournal.decode(bytes, 8, bytes.length));
        bytes[8] = 2; // a version this code does not know
        assertThrows(IllegalArgumentException.class, () -> DeliveryJournal.decode(bytes, 8, bytes.length));

        try (DeliveryJournal j = DeliveryJournal.open(dir)) {
            assertEquals(
                    2,
                    j.append(List.of(DeliveryJournal.encode(delivery("a")), DeliveryJournal.encode(delivery("b"))))
                            .count());
            assertEquals(
                    1, j.append(List.of(DeliveryJournal.encode(delivery("c")))).count());
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(onlyLog())));
        try (DeliveryJournal j = DeliveryJournal.open(dir)) {
            assertEquals(
                    List.of(delivery("a"), delivery("b"), delivery("c")),
                    j.found().stream().map(DeliveryJournal.Entry::delivery).toList());
            assertEquals(3, j.records());
        }
    }

    @Test
    void aTornLastRecord_wasNeverAcknowledged_andIsCutOff() throws Exception {
        long whole;
        try (DeliveryJournal j = DeliveryJournal.open(dir)) {
            j.append(List.of(DeliveryJournal.encode(delivery("a")), DeliveryJournal.encode(delivery("b"))));
            whole = Files.size(onlyLog());
        }
        ByteBuffer c = DeliveryJournal.encode(delivery("c"));
        byte[] half = new byte[c.remaining() / 2];
        c.get(half);
        Files.write(onlyLog(), half, StandardOpenOption.APPEND);
        try (DeliveryJournal j = DeliveryJournal.open(dir)) {
            assertEquals(
                    List.of(delivery("a"), delivery("b")),
                    j.found().stream().map(DeliveryJournal.Entry::delivery).toList());
            assertEquals(whole, Files.size(onlyLog()), "truncated to the whole records");
            j.replayed();
        }
        assertEquals(List.of(), files(), "all of it stored: deleted, nothing kept aside");
    }

    @Test
    void aRecordOfANewerVersion_stopsTheStart_andIsNotSetAside() throws Exception {
        try (DeliveryJournal j = DeliveryJournal.open(dir)) {
            j.append(List.of(DeliveryJournal.encode(delivery("a"))));
        }
        // A record a newer multiarch wrote: whole, its checksum right, version 2.
        ByteBuffer r = DeliveryJournal.encode(delivery("b"));
        byte[] b = new byte[r.remaining()];
        r.get(b);
        b[8] = 2;
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b, 0, 4);
        crc.update(b, 8, b.length - 8);
        ByteBuffer.wrap(b).putInt(4, (int) crc.getValue());
        Files.write(onlyLog(), b, StandardOpenOption.APPEND);
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> DeliveryJournal.open(dir));
        assertTrue(e.getMessage().contains("written by a newer multiarch"), e.getMessage());
        assertTrue(files().stream().noneMatch(f -> f.endsWith(".corrupt")), "not set aside: " + files());
        java.io.IOException again = assertThrows(java.io.IOException.class, () -> DeliveryJournal.open(dir));
        assertTrue(again.getMessage().contains("written by a newer multiarch"), "the lock was let go: " + again);
    }

    @Test
    void aBadRecordInTheMiddle_isNotDropped_theFileIsKeptAside_theRestIsRead() throws Exception {
        long first;
        try (DeliveryJournal j = DeliveryJournal.open(dir)) {
            j.append(List.of(DeliveryJournal.encode(delivery("a"))));
            first = Files.size(onlyLog());
            j.append(List.of(DeliveryJournal.encode(delivery("b")), DeliveryJournal.encode(delivery("c"))));
        }
        byte[] data = Files.readAllBytes(onlyLog());
        data[(int) first + 20] ^= 0x40; // inside b's body: its CRC no longer matches
        Files.write(onlyLog(), data);
        String name = onlyLog().getFileName().toString();
        try (DeliveryJournal j = DeliveryJournal.open(dir)) {
            assertEquals(
                    List.of(delivery("a"), delivery("c")),
                    j.found().stream().map(DeliveryJournal.Entry::delivery).toList());
            j.replayed();
            // Appends after that go to a new segment, never to the one kept aside.
            j.append(List.of(DeliveryJournal.encode(delivery("d"))));
        }
        List<String> files = files();
        assertTrue(files.contains(name.replace(".log", ".corrupt")), files.toString());
        assertFalse(files.contains(name), files.toString());
        try (DeliveryJournal j = DeliveryJournal.open(dir)) {
            assertEquals(
                    List.of(delivery("d")),
                    j.found().stream().map(DeliveryJournal.Entry::delivery).toList());
        }
    }

    @Test
    void oneJournalPerDirectory() throws Exception {
        DeliveryJournal first = DeliveryJournal.open(dir);
        assertThrows(java.io.IOException.class, () -> DeliveryJournal.open(dir));
        first.close();
        DeliveryJournal.open(dir).close();
    }

    @Test
    void aSegment_isDeletedOnceAllOfItIsCommitted() throws Exception {
        try (DeliveryJournal j = DeliveryJournal.open(dir)) {
            DeliveryJournal.Appended a =
                    j.append(List.of(DeliveryJournal.encode(delivery("a")), DeliveryJournal.encode(delivery("b"))));
            DeliveryJournal.Appended c = j.append(List.of(DeliveryJournal.encode(delivery("c"))));
            assertEquals(a.segment(), c.segment());
            j.committed(a.segment(), 2);
            assertEquals(1, files().size(), "c is not committed yet");
            j.committed(c.segment(), 1);
            assertEquals(List.of(), files());
            assertEquals(0, j.records());
            assertEquals(0, j.bytes());
            DeliveryJournal.Appended d = j.append(List.of(DeliveryJournal.encode(delivery("d"))));
            assertTrue(d.segment().number > a.segment().number, "a new segment");
            assertEquals(1, files().size());
        }
    }

    @Test
    void pastTheBound_appendsAreRefused_untilTheStoreTakesSome() throws Exception {
        try (DeliveryJournal j = DeliveryJournal.open(dir, 2, 1L << 20)) {
            DeliveryJournal.Appended a = j.append(List.of(
                    DeliveryJournal.encode(delivery("a")),
                    DeliveryJournal.encode(delivery("b")),
                    DeliveryJournal.encode(delivery("c"))));
            assertEquals(2, a.count());
            assertEquals(
                    0, j.append(List.of(DeliveryJournal.encode(delivery("c")))).count());
            j.committed(a.segment(), 1);
            assertEquals(
                    1, j.append(List.of(DeliveryJournal.encode(delivery("c")))).count());
        }
        try (DeliveryJournal j = DeliveryJournal.open(dir, 1000, 100)) {
            assertEquals(
                    0, j.append(List.of(DeliveryJournal.encode(delivery("x")))).count(), "over the bytes");
        }
    }

    @Test
    void whatAJournalLeft_isFoundWithoutOpeningIt_forACoordinatorOnPostgreSQL() throws Exception {
        assertEquals(List.of(), DeliveryJournal.leftIn(dir.resolve("none")));
        assertEquals(List.of(), DeliveryJournal.leftIn(dir));
        try (DeliveryJournal j = DeliveryJournal.open(dir)) {
            assertEquals(List.of(), DeliveryJournal.leftIn(dir), "an empty segment holds nothing");
            j.append(List.of(DeliveryJournal.encode(delivery("a"))));
        }
        assertEquals(List.of(onlyLog()), DeliveryJournal.leftIn(dir));
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(GitHubIntegration.class.getName());
        List<String> said = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                said.add(r.getLevel() + " " + r.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        log.addHandler(h);
        try {
            GitHubIntegration.warnOfJournalLeft(dir);
        } finally {
            log.removeHandler(h);
        }
        assertEquals(1, said.size(), said.toString());
        assertTrue(said.get(0).startsWith("SEVERE the webhook journal in " + dir), said.get(0));
    }
}
