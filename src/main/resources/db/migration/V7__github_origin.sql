-- Where a GitHub build came from, as indexed columns written when the build is created (read from its trigger JSON),
-- so that a redelivered webhook (by delivery id), a re-run (by repository and commit) and a closed pull request (by
-- repository and number) are each one indexed query, however old the build. Rows stored before this version are
-- filled in by the migration's Java step (Migrations: OriginKeys).
ALTER TABLE builds ADD COLUMN origin_repo VARCHAR(500);
ALTER TABLE builds ADD COLUMN origin_commit VARCHAR(64);
ALTER TABLE builds ADD COLUMN origin_pr INT;
ALTER TABLE builds ADD COLUMN origin_delivery VARCHAR(100);
ALTER TABLE builds ADD COLUMN origin_check_suite BIGINT;
CREATE INDEX builds_origin_delivery ON builds(origin_delivery);
CREATE INDEX builds_origin_commit ON builds(origin_repo, origin_commit);
CREATE INDEX builds_origin_pr ON builds(origin_repo, origin_pr);
CREATE INDEX builds_origin_check_suite ON builds(origin_check_suite);
