-- Webhook deliveries, stored before they are acknowledged. state: received, processed, ignored, failed.
CREATE TABLE deliveries (
  hook_id     VARCHAR(64)  NOT NULL,
  delivery_id VARCHAR(100) NOT NULL,
  event       VARCHAR(100) NOT NULL,
  payload     CLOB         NOT NULL,
  received_at TIMESTAMP WITH TIME ZONE NOT NULL,
  state       VARCHAR(20)  NOT NULL,
  note        CLOB,
  PRIMARY KEY (hook_id, delivery_id)
);
CREATE INDEX deliveries_state ON deliveries(state);

-- The status outbox: the latest state wanted for each check of each build, and what GitHub has been sent.
CREATE TABLE reports (
  build_id     BIGINT       NOT NULL,
  context      VARCHAR(200) NOT NULL,
  body         CLOB         NOT NULL,
  version      INT          NOT NULL,
  sent_version INT          NOT NULL DEFAULT 0,
  external_id  VARCHAR(100),
  attempts     INT          NOT NULL DEFAULT 0,
  next_attempt TIMESTAMP WITH TIME ZONE,
  last_error   CLOB,
  PRIMARY KEY (build_id, context)
);
