-- Where each job attempt's time went, in milliseconds, one row per step in the order the steps ran: the queue wait
-- (recorded by the coordinator when a runner claims the job), the runner's own steps (fetch, checkout, build, export,
-- audit, push… sent with its result) and the coordinator's verification of the pushed image.
CREATE TABLE job_timings (
  job_id  BIGINT      NOT NULL REFERENCES jobs(id),
  attempt INT         NOT NULL,
  seq     INT         NOT NULL,
  step    VARCHAR(32) NOT NULL,
  millis  BIGINT      NOT NULL,
  PRIMARY KEY (job_id, attempt, step)
);

-- When a job last went (back) to the queue: a lost lease puts it back; NULL means since its build was created.
ALTER TABLE jobs ADD COLUMN queued_at TIMESTAMP WITH TIME ZONE;
