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
 */
final class Deliveries {
    private final DataSource ds;
    private final Clock clock;

    Deliveries(DataSource ds, Clock clock) {
        this.ds = ds;
        this.clock = clock;
    }

    private static Delivery delivery(ResultSet r) throws SQLException {
        return new Delivery(
                r.getString("hook_id"),
                r.getString("delivery_id"),
                r.getString("event"),
                Deflated.either(r.getBytes("payload_z"), r.getString("payload")),
                inst(r, "received_at"),
                DeliveryState.of(r.getString("state")),
                r.getString("note"));
    }

    boolean add(Delivery d) {
        try {
            return tx(
                    ds,
                    c -> update(
                                    c,
                                    "INSERT INTO deliveries (hook_id, delivery_id, event, payload_z, received_at, state, "
                                            + "claimed_until) VALUES (?, ?, ?, ?, ?, 'received', ?)",
                                    d.hookId(),
                                    d.deliveryId(),
                                    d.event(),
                                    Deflated.of(d.payload()),
                                    d.receivedAt(),
                                    clock.instant().plus(Store.DELIVERY_CLAIM))
                            == 1);
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
        try (PreparedStatement p = c.prepareStatement(
                "INSERT INTO deliveries (hook_id, delivery_id, event, payload_z, received_at, state, "
                        + "claimed_until) VALUES (?, ?, ?, ?, ?, 'received', ?)")) {
            Instant held = clock.instant().plus(Store.DELIVERY_CLAIM);
            for (Delivery d : batch) {
                boolean isNew = stored.add(List.of(d.hookId(), d.deliveryId()));
                added.add(isNew);
                if (isNew) {
                    bind(p, d.hookId(), d.deliveryId(), d.event(), Deflated.of(d.payload()), d.receivedAt(), held);
                    p.addBatch();
                }
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
                c -> list(
                        c,
                        "SELECT * FROM deliveries WHERE state = ? ORDER BY received_at",
                        Deliveries::delivery,
                        state.word()));
    }

    List<Delivery> claim(String holder, Instant now, Instant until, int limit) {
        return tx(ds, c -> {
            List<Delivery> due = list(
                    c,
                    "SELECT * FROM deliveries WHERE state = 'received' AND (claimed_until IS NULL OR claimed_until <= ?)"
                            + " ORDER BY received_at LIMIT ? FOR UPDATE SKIP LOCKED",
                    Deliveries::delivery,
                    now,
                    limit);
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
