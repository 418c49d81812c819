-- The dispatcher reads the queue a few builds at a time (Store.queuedJobsOfBuilds): queued jobs by build, one index
-- range instead of every queued row (10,000 queued jobs were read whole for every runner that started to wait).
CREATE INDEX jobs_state_build ON jobs(state, build_id, id);
