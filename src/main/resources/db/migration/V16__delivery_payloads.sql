-- IF NOT EXISTS: H2 commits each DDL statement, so a start killed part way through this file runs it again.
-- Webhook payloads of the embedded (H2) store in a table of their own, written once and never updated, keyed by a
-- number the store counts up (so new payloads go to the end of the table's tree): marking a delivery, claiming it or
-- renewing its claim then rewrites only its small row, not the page holding its 1.5 KB deflated payload again (H2
-- writes every changed page anew and keeps the old copy: the file under a webhook burst, package dev.multiarch.store).
-- payload_id names the delivery's payload here; rows written before, and every row on PostgreSQL (whose vacuum
-- reclaims a row's old versions, so a mark's copy of the payload does not pile up as in H2's file), keep payload_z /
-- payload in deliveries and are read as they are. The table and sequence exist there too, unused: one history.
CREATE TABLE IF NOT EXISTS delivery_payloads (
    id BIGINT PRIMARY KEY,
    payload_z BYTEA NOT NULL
);
ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS payload_id BIGINT;
-- The numbers: taken 100,000 at a time (H2 records a sequence's progress with a commit of its own each time it runs
-- past what it took; a crash skips the rest, never gives a number twice).
CREATE SEQUENCE IF NOT EXISTS delivery_payload_ids CACHE 100000;
