/**
 * Durable state: builds, jobs, job logs, runners and tag owners, behind one small interface ({@link
 * dev.multiarch.store.Store}) in plain SQL, so that a PostgreSQL implementation for several coordinators can follow
 * the embedded H2 one.
 *
 * <p>What must survive a crash is decided here, in single transactions: a job's lease (an expired lease returns the
 * job to the queue, attempt + 1, up to a bound); the last platform's digest and the build's move to
 * {@code verifying} (so exactly one caller fans in); the move to {@code publishing}; and which build owns each tag.
 * Schema changes are numbered SQL files under {@code db/migration}, applied in order once each ({@link
 * dev.multiarch.store.Migrations}).
 */
package dev.multiarch.store;
