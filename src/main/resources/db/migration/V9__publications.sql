-- Where a build's index went: one row per registry it publishes to (.multiarch.yaml image: [A, B, …]), seq 0
-- being the image its runners pushed to. state: PENDING, PUBLISHED, FAILED. A restarted coordinator or a re-run
-- reads these to publish only where it is missing; pages and the API show one line per row.
CREATE TABLE publications (
  build_id     BIGINT        NOT NULL REFERENCES builds(id),
  seq          INT           NOT NULL,
  image        VARCHAR(500)  NOT NULL,
  state        VARCHAR(20)   NOT NULL,
  index_digest VARCHAR(100),
  error        VARCHAR(2000),
  updated_at   TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (build_id, seq)
);
