-- Builds: one per (trigger, image). state: queued, running, verifying, publishing, published, failed, cancelled.
CREATE TABLE builds (
  id             BIGINT AUTO_INCREMENT PRIMARY KEY,
  repo           VARCHAR(500)  NOT NULL,
  clone_url      VARCHAR(2000) NOT NULL,
  commit_sha     VARCHAR(64)   NOT NULL,
  ref            VARCHAR(500)  NOT NULL,
  image          VARCHAR(500),
  spec           CLOB,
  tags           CLOB,
  version        VARCHAR(100),
  push           BOOLEAN       NOT NULL,
  state          VARCHAR(20)   NOT NULL,
  error          CLOB,
  index_digest   VARCHAR(100),
  published_tags CLOB,
  trigger_info   CLOB,
  created_at     TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at     TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX builds_state ON builds(state);

-- Jobs: one per platform of a build. state: queued, running, succeeded, failed, cancelled.
CREATE TABLE jobs (
  id              BIGINT AUTO_INCREMENT PRIMARY KEY,
  build_id        BIGINT       NOT NULL REFERENCES builds(id),
  platform        VARCHAR(100) NOT NULL,
  state           VARCHAR(20)  NOT NULL,
  runner_id       VARCHAR(64),
  attempt         INT          NOT NULL DEFAULT 0,
  lease_expires   TIMESTAMP WITH TIME ZONE,
  timeout_seconds BIGINT       NOT NULL,
  digest          VARCHAR(100),
  media_type      VARCHAR(200),
  size            BIGINT,
  added_layers    INT,
  error           CLOB,
  started_at      TIMESTAMP WITH TIME ZONE,
  finished_at     TIMESTAMP WITH TIME ZONE
);
CREATE INDEX jobs_build ON jobs(build_id);
CREATE INDEX jobs_state ON jobs(state);

CREATE TABLE job_logs (
  seq     BIGINT AUTO_INCREMENT PRIMARY KEY,
  job_id  BIGINT NOT NULL REFERENCES jobs(id),
  attempt INT    NOT NULL,
  chunk   CLOB   NOT NULL
);
CREATE INDEX job_logs_job ON job_logs(job_id, seq);

CREATE TABLE runners (
  id               VARCHAR(64)  PRIMARY KEY,
  name             VARCHAR(255) NOT NULL,
  token_hash       VARCHAR(64)  NOT NULL,
  native_platforms VARCHAR(2000) NOT NULL,
  qemu_platforms   VARCHAR(2000) NOT NULL,
  registered_at    TIMESTAMP WITH TIME ZONE NOT NULL,
  last_seen        TIMESTAMP WITH TIME ZONE NOT NULL
);

-- Which build last published each tag, and at which version: newer builds win, floating tags never go backwards.
CREATE TABLE tag_owners (
  image    VARCHAR(500) NOT NULL,
  tag      VARCHAR(128) NOT NULL,
  build_id BIGINT       NOT NULL,
  version  VARCHAR(100),
  PRIMARY KEY (image, tag)
);
