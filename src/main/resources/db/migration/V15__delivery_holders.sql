-- Which coordinator holds a delivery or a check report being sent (with claimed_until): the one that stored it holds it with no name (NULL) until
-- its first claim runs out; a coordinator that claims it, or renews its claim, writes its own. A coordinator goes on
-- with a delivery only while the claim is still its own, so a delivery left waiting in one coordinator's queue past
-- its claim, and taken over by another, is not processed twice.
ALTER TABLE deliveries ADD COLUMN claimed_by VARCHAR(64);
ALTER TABLE reports ADD COLUMN claimed_by VARCHAR(64);
