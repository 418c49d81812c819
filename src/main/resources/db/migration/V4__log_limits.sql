-- Logs are capped per job attempt (config.yaml store.log-limit): each chunk knows its size in UTF-8 bytes, and one
-- row per attempt keeps the running total and how much of the beginning was cut to stay under the limit.
ALTER TABLE job_logs ADD COLUMN bytes INT DEFAULT 0 NOT NULL;

CREATE TABLE job_log_totals (
  job_id    BIGINT NOT NULL REFERENCES jobs(id),
  attempt   INT    NOT NULL,
  bytes     BIGINT NOT NULL,
  cut_bytes BIGINT NOT NULL,
  PRIMARY KEY (job_id, attempt)
);
