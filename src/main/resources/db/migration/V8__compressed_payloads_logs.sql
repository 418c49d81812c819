-- Webhook payloads and log chunks are stored deflated (zlib, RFC 1950) by the store: GitHub's 7 KB push payload
-- becomes about 1.4 KB. Rows written before keep their text in payload / chunk and are read as they are.
ALTER TABLE deliveries ADD COLUMN payload_z BYTEA;
ALTER TABLE deliveries ALTER COLUMN payload DROP NOT NULL;
ALTER TABLE job_logs ADD COLUMN chunk_z BYTEA;
ALTER TABLE job_logs ALTER COLUMN chunk DROP NOT NULL;

-- Retention (store.retention) deletes deliveries by age and the logs and sent reports of builds finished long ago.
CREATE INDEX deliveries_received ON deliveries(received_at);
CREATE INDEX builds_finished ON builds(state, updated_at);
