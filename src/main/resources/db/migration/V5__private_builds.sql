-- Builds of private repositories (the webhook payload's repository.private, or "private": true through the API) are
-- shown only to people GitHub says can read the repository. Rows from before this version were shown to everyone,
-- and stay so.
ALTER TABLE builds ADD COLUMN private_repo BOOLEAN DEFAULT FALSE NOT NULL;
