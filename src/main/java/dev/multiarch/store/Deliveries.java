package dev.multiarch.store;

import static dev.multiarch.store.Sql.bind;
import static dev.multiarch.store.Sql.inst;
import static dev.multiarch.store.Sql.list;
import static dev.multiarch.store.Sql.read;
import static dev.multiarch.store.Sql.tx;
import static dev.multiarch.store.Sql.update;

import dev.multiarch.store.Store.Delivery;
import dev.multiarch.store.Store.DeliveryKey;
import dev.multiarch.store.Store.DeliveryMark;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;

/**
 * GitHub's webhook deliveries: stored once each by their key (hook, delivery), deflated, then claimed, leased and
 * marked by the coordinators that process them. A stored delivery is held for {@link Store#DELIVERY_CLAIM} by the
 * coordinator that stored it; another takes it over only after that ({@link #claim}).
 *
 * <p>In the embedded (H2) store a new delivery's payload goes to {@code delivery_payloads}, written once under a
 * number from a sequence, and its row names it ({@code payload_id}, V16): the row is what marks, claims and leases
 * rewrite, and H2 writes a changed page whole and keeps the old copy, so the payload is not written again with each.
 * PostgreSQL, and rows stored before V16, keep the payload in the row ({@code payload_z}, or {@code payload} before
 * V8).
 */
final class Deliveries {
    private final DataSource ds;
    private final Clock clock;
    /** Whether new payloads go to {@code delivery_payloads} (H2). */
    private final boolean apart;

    Deliveries(DataSource ds, Clock clock, boolean apart) {
        this.ds = ds;
        this.clock = clock;
        this.apart = apart;
    }

    /** A row as read: its payload, or where it is ({@code payloadId}, when {@code delivery} has none yet). */
    private record Read(Delivery delivery, Long payloadId) {}

    private static Read row(ResultSet r) throws SQLException {
        long id = r.getLong("payload_id");
        Long payloadId = r.wasNull() ? null : id;
        return new Read(
                new Delivery(
                        r.getString("hook_id"),
                        r.getString("delivery_id"),
                        r.getString("event"),
                        payloadId != null ? null : Deflated.either(r.getBytes("payload_z"), r.getString("payload")),
                        inst(r, "received_at"),
                        DeliveryState.of(r.getString("state")),
                        r.getString("note")),
                payloadId);
    }

    /** The deliveries of {@code rows}, with the payloads kept apart read (one query per 500). */
    private static List<Delivery> withPayloads(Connection c, List<Read> rows) throws SQLException {
        List<Long> ids = rows.stream()
                .map(Read::payloadId)
                .filter(java.util.Objects::nonNull)
                .toList();
        java.util.Map<Long, String> payloads = new java.util.HashMap<>();
        for (int from = 0; from < ids.size(); from += 500) {
            List<Long> part = ids.subList(from, Math.min(ids.size(), from + 500));
            for (Object[] idAndPayload : list(
                    c,
                    "SELECT id, payload_z FROM delivery_payloads WHERE id IN ("
                            + String.join(", ", java.util.Collections.nCopies(part.size(), "?")) + ")",
                    r -> new Object[] {r.getLong(1), Deflated.text(r.getBytes(2))},
                    part.toArray())) {
                payloads.put((Long) idAndPayload[0], (String) idAndPayload[1]);
            }
        }
        List<Delivery> out = new ArrayList<>(rows.size());
        for (Read r : rows) {
            Delivery d = r.delivery();
            out.add(
                    r.payloadId() == null
                            ? d
                            : new Delivery(
                                    d.hookId(),
                                    d.deliveryId(),
                                    d.event(),
                                    payloads.get(r.payloadId()),
                                    d.receivedAt(),
                                    d.state(),
                                    d.note()));
        }
        return out;
    }

    /** {@code n} numbers for payloads kept apart. */
    private static List<Long> payloadIds(Connection c, int n) throws SQLException {
        return list(c, "SELECT NEXT VALUE FOR delivery_payload_ids FROM SYSTEM_RANGE(1, ?)", r -> r.getLong(1), n);
    }

    private static final String INSERT_INLINE = "INSERT INTO deliveries (hook_id, delivery_id, event, payload_z, "
            + "received_at, state, claimed_until) VALUES (?, ?, ?, ?, ?, 'received', ?)";
    private static final String INSERT_APART = "INSERT INTO deliveries (hook_id, delivery_id, event, payload_id, "
            + "received_at, state, claimed_until) VALUES (?, ?, ?, ?, ?, 'received', ?)";
    private static final String INSERT_PAYLOAD = "INSERT INTO delivery_payloads (id, payload_z) VALUES (?, ?)";

    boolean add(Delivery d) {
        try {
            return tx(ds, c -> {
                Object payload = Deflated.of(d.payload());
                if (apart) {
                    long id = payloadIds(c, 1).get(0);
                    update(c, INSERT_PAYLOAD, id, payload);
                    payload = id;
                }
                return update(
                                c,
                                apart ? INSERT_APART : INSERT_INLINE,
                                d.hookId(),
                                d.deliveryId(),
                                d.event(),
                                payload,
                                d.receivedAt(),
                                clock.instant().plus(Store.DELIVERY_CLAIM))
                        == 1;
            });
        } catch (StoreException e) {
            if (e.getCause() instanceof SQLException sql && "23505".equals(sql.getSQLState())) {
                return false;
            }
            throw e;
        }
    }

    /** {@code batch} in one transaction; throws when another coordinator stored one of them meanwhile. */
    List<Boolean> addAll(List<Delivery> batch) {
        return tx(ds, c -> insert(c, batch));
    }

    /** {@code batch} and then {@code marks}, in one transaction. */
    List<Boolean> addAll(List<Delivery> batch, List<DeliveryMark> marks) {
        return tx(ds, c -> {
            List<Boolean> added = insert(c, batch);
            updateMarks(c, marks);
            return added;
        });
    }

    /**
     * The keys already stored are read first (one indexed query), the rest go in as one JDBC batch. Should another
     * coordinator store one of them between the two, the inserts collide on the key and the transaction fails.
     */
    private List<Boolean> insert(Connection c, List<Delivery> batch) throws SQLException {
        String rows = String.join(", ", java.util.Collections.nCopies(batch.size(), "(?, ?)"));
        Object[] keys = batch.stream()
                .flatMap(d -> java.util.stream.Stream.of(d.hookId(), d.deliveryId()))
                .toArray();
        Set<List<String>> stored = new HashSet<>(list(
                c,
                "SELECT hook_id, delivery_id FROM deliveries WHERE (hook_id, delivery_id) IN (" + rows + ")",
                r -> List.of(r.getString(1), r.getString(2)),
                keys));
        List<Boolean> added = new ArrayList<>(batch.size());
        List<Delivery> fresh = new ArrayList<>(batch.size());
        for (Delivery d : batch) {
            boolean isNew = stored.add(List.of(d.hookId(), d.deliveryId()));
            added.add(isNew);
            if (isNew) {
                fresh.add(d);
            }
        }
        if (fresh.isEmpty()) {
            return added;
        }
        List<Object> payloads = new ArrayList<>(fresh.size());
        for (Delivery d : fresh) {
            payloads.add(Deflated.of(d.payload()));
        }
        if (apart) {
            // The payloads first, in the order of their numbers: appended to the end of their table.
            List<Long> ids = payloadIds(c, fresh.size());
            try (PreparedStatement p = c.prepareStatement(INSERT_PAYLOAD)) {
                for (int i = 0; i < fresh.size(); i++) {
                    bind(p, ids.get(i), payloads.get(i));
                    p.addBatch();
                }
                p.executeBatch();
            }
            payloads = new ArrayList<>(ids);
        }
        try (PreparedStatement p = c.prepareStatement(apart ? INSERT_APART : INSERT_INLINE)) {
            Instant held = clock.instant().plus(Store.DELIVERY_CLAIM);
            for (int i = 0; i < fresh.size(); i++) {
                Delivery d = fresh.get(i);
                bind(p, d.hookId(), d.deliveryId(), d.event(), payloads.get(i), d.receivedAt(), held);
                p.addBatch();
            }
            p.executeBatch();
        }
        return added;
    }

    /** Which of {@code keys} are stored (one indexed query per 500 keys). */
    Set<DeliveryKey> stored(java.util.Collection<DeliveryKey> keys) {
        Set<DeliveryKey> stored = new HashSet<>();
        List<DeliveryKey> all = new ArrayList<>(keys);
        for (int from = 0; from < all.size(); from += 500) {
            List<DeliveryKey> part = all.subList(from, Math.min(all.size(), from + 500));
            String rows = String.join(", ", java.util.Collections.nCopies(part.size(), "(?, ?)"));
            Object[] args = part.stream()
                    .flatMap(k -> java.util.stream.Stream.of(k.hookId(), k.deliveryId()))
                    .toArray();
            stored.addAll(read(
                    ds,
                    c -> list(
                            c,
                            "SELECT hook_id, delivery_id FROM deliveries WHERE (hook_id, delivery_id) IN (" + rows
                                    + ")",
                            r -> new DeliveryKey(r.getString(1), r.getString(2)),
                            args)));
        }
        return stored;
    }

    /** {@code marks} in one transaction. */
    void markAll(List<DeliveryMark> marks) {
        tx(ds, c -> {
            updateMarks(c, marks);
            return null;
        });
    }

    private static void updateMarks(Connection c, List<DeliveryMark> marks) throws SQLException {
        if (marks.isEmpty()) {
            return;
        }
        try (PreparedStatement p =
                c.prepareStatement("UPDATE deliveries SET state = ?, note = ? WHERE hook_id = ? AND delivery_id = ?")) {
            for (DeliveryMark m : marks) {
                bind(p, m.state().word(), m.note(), m.hookId(), m.deliveryId());
                p.addBatch();
            }
            p.executeBatch();
        }
    }

    List<Delivery> in(DeliveryState state) {
        return read(
                ds,
                c -> withPayloads(
                        c,
                        list(
                                c,
                                "SELECT * FROM deliveries WHERE state = ? ORDER BY received_at",
                                Deliveries::row,
                                state.word())));
    }

    List<Delivery> claim(String holder, Instant now, Instant until, int limit) {
        return tx(ds, c -> {
            List<Delivery> due = withPayloads(
                    c,
                    list(
                            c,
                            "SELECT * FROM deliveries WHERE state = 'received' AND (claimed_until IS NULL OR "
                                    + "claimed_until <= ?) ORDER BY received_at LIMIT ? FOR UPDATE SKIP LOCKED",
                            Deliveries::row,
                            now,
                            limit));
            for (Delivery d : due) {
                update(
                        c,
                        "UPDATE deliveries SET claimed_until = ?, claimed_by = ? WHERE hook_id = ? AND delivery_id = ?",
                        until,
                        holder,
                        d.hookId(),
                        d.deliveryId());
            }
            return due;
        });
    }

    Set<DeliveryKey> lease(String holder, List<DeliveryKey> keys, Instant now, Instant until) {
        if (keys.isEmpty()) {
            return Set.of();
        }
        return tx(ds, c -> {
            Set<DeliveryKey> leased = new HashSet<>();
            try (PreparedStatement p = c.prepareStatement("UPDATE deliveries SET claimed_until = ?, claimed_by = ? "
                    + "WHERE hook_id = ? AND delivery_id = ? AND state = 'received' AND (claimed_by = ? OR claimed_by "
                    + "IS NULL OR claimed_until IS NULL OR claimed_until <= ?)")) {
                for (DeliveryKey k : keys) {
                    bind(p, until, holder, k.hookId(), k.deliveryId(), holder, now);
                    p.addBatch();
                }
                int[] counts = p.executeBatch();
                for (int i = 0; i < keys.size(); i++) {
                    if (counts[i] > 0) {
                        leased.add(keys.get(i));
                    }
                }
            }
            return leased;
        });
    }

    void hold(String hookId, String deliveryId, Instant until) {
        tx(
                ds,
                c -> update(
                        c,
                        "UPDATE deliveries SET claimed_until = ? WHERE hook_id = ? AND delivery_id = ?",
                        until,
                        hookId,
                        deliveryId));
    }

    void mark(String hookId, String deliveryId, DeliveryState state, String note) {
        tx(
                ds,
                c -> update(
                        c,
                        "UPDATE deliveries SET state = ?, note = ? WHERE hook_id = ? AND delivery_id = ?",
                        state.word(),
                        note,
                        hookId,
                        deliveryId));
    }
}
