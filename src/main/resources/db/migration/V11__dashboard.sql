-- The dashboard's reads (web pages, badges) as indexed queries, however many builds the store holds.
-- The builds list pages backwards by id under optional filters (repository, state, ref): one index per filter, with
-- id last, so each filter is an index range read newest first rather than a scan of every build.
CREATE INDEX builds_repo_id ON builds(repo, id);
CREATE INDEX builds_state_id ON builds(state, id);
-- builds_state_id serves every read builds_state (V1) did, and in id order: H2 otherwise picks the older one and
-- sorts every build in that state.
DROP INDEX builds_state;
CREATE INDEX builds_ref_id ON builds(ref, id);
-- The runners page: each runner's running job, and its finished jobs per platform (count, median time).
CREATE INDEX jobs_runner ON jobs(runner_id, state);
-- A badge asks which tag a repository's builds hold: from its builds (builds_repo_id) to the tags they own.
CREATE INDEX tag_owners_build ON tag_owners(build_id);

-- Every move of a tag: which build's index it was given, and when (the image page's history). tag_owners keeps
-- only the current owner; this keeps the moves, newest last.
CREATE TABLE tag_moves (
  seq          BIGINT AUTO_INCREMENT PRIMARY KEY,
  image        VARCHAR(500) NOT NULL,
  tag          VARCHAR(128) NOT NULL,
  build_id     BIGINT       NOT NULL,
  index_digest VARCHAR(100) NOT NULL,
  moved_at     TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX tag_moves_image ON tag_moves(image, tag, seq);
