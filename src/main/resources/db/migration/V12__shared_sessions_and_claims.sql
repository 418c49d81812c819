-- Sign-ins under way and sessions, in the store so that every coordinator behind one address knows them: a sign-in
-- started on one coordinator may come back to another, and a session works on all. Secrets are not stored: a state and
-- a session id are kept as their SHA-256 (hex), as runner tokens are, and the person's GitHub token is sealed with a
-- key derived from the session id, which only the browser holds.
CREATE TABLE sign_ins (
  state_hash   VARCHAR(64)   NOT NULL PRIMARY KEY,
  browser_hash VARCHAR(64)   NOT NULL,
  next_path    VARCHAR(2000) NOT NULL,
  expires_at   TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX sign_ins_expires ON sign_ins(expires_at);
CREATE TABLE sessions (
  id_hash       VARCHAR(64)  NOT NULL PRIMARY KEY,
  login         VARCHAR(100) NOT NULL,
  sealed_token  BYTEA        NOT NULL,
  token_expires TIMESTAMP WITH TIME ZONE,
  expires_at    TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX sessions_expires ON sessions(expires_at);

-- Work that one coordinator takes on for a while, so that several coordinators do it once and a killed one's share is
-- taken over when its claim runs out: a check report being sent, a delivery being processed, a build being verified
-- and published (finish_by: the coordinator process holding it).
ALTER TABLE reports ADD COLUMN claimed_until TIMESTAMP WITH TIME ZONE;
ALTER TABLE deliveries ADD COLUMN claimed_until TIMESTAMP WITH TIME ZONE;
ALTER TABLE builds ADD COLUMN finish_by VARCHAR(64);
ALTER TABLE builds ADD COLUMN finish_until TIMESTAMP WITH TIME ZONE;
