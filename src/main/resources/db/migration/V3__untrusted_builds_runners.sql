-- Pull requests from forks are untrusted: their jobs run only on runners registered with untrusted-jobs: true, and
-- those runners run nothing else.
ALTER TABLE builds ADD COLUMN untrusted BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE runners ADD COLUMN untrusted_jobs BOOLEAN NOT NULL DEFAULT FALSE;

-- Builds stored before this version: the GitHub integration recorded a fork in the trigger's JSON (Origin.fork).
UPDATE builds SET untrusted = TRUE WHERE trigger_info LIKE '%"fork":true%';
