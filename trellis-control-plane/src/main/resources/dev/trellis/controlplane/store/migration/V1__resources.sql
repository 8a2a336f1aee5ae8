-- One global revision: every committed mutation bumps it once; it is the change feed gateways follow.
CREATE TABLE trellis_revision (
    id INTEGER PRIMARY KEY,
    revision BIGINT NOT NULL,
    next_seq BIGINT NOT NULL
);
INSERT INTO trellis_revision (id, revision, next_seq) VALUES (1, 0, 1);

-- Every API resource as a JSON document, with the columns lookups and listings need.
CREATE TABLE trellis_resource (
    kind VARCHAR(48) NOT NULL,
    id VARCHAR(128) NOT NULL,
    arn VARCHAR(2048) NOT NULL,
    account_id VARCHAR(12) NOT NULL,
    parent_id VARCHAR(128),
    name VARCHAR(256),
    seq BIGINT NOT NULL,
    created_revision BIGINT NOT NULL,
    updated_revision BIGINT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE UNIQUE INDEX trellis_resource_arn ON trellis_resource (arn);
CREATE INDEX trellis_resource_parent ON trellis_resource (kind, parent_id, seq);
CREATE INDEX trellis_resource_name ON trellis_resource (kind, account_id, name);

-- clientToken idempotency: the first request's fingerprint and response, per account and operation.
CREATE TABLE trellis_idempotency (
    account_id VARCHAR(12) NOT NULL,
    operation VARCHAR(64) NOT NULL,
    client_token VARCHAR(64) NOT NULL,
    fingerprint VARCHAR(64) NOT NULL,
    response TEXT NOT NULL,
    created_revision BIGINT NOT NULL,
    PRIMARY KEY (account_id, operation, client_token)
);
