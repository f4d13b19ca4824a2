-- CareLedger audit schema, version 1: the deployment being followed, the block ranges indexed, and every event its
-- contracts emitted, decoded. Ids are pseudonymous participant ids (uint64, kept as numeric: PostgreSQL's bigint is
-- signed); nothing here is personal health information, and nothing is added that the chain does not hold.

-- The chains followed, each known by its genesis block's hash: a node restarted without its state, or another chain
-- with the same id, is refused rather than mixed in.
CREATE TABLE audit_chains (
  chain_id bigint PRIMARY KEY,
  genesis_hash text NOT NULL
);

-- The contracts followed on each chain: a database follows one deployment per chain.
CREATE TABLE audit_contracts (
  chain_id bigint NOT NULL,
  contract text NOT NULL,        -- its command-line name: consent-registry
  address text NOT NULL,         -- checksummed
  first_block bigint NOT NULL,   -- where indexing starts: the deployment's first block
  PRIMARY KEY (chain_id, contract),
  UNIQUE (chain_id, address)
);

-- The block ranges whose events are all in audit_events, both ends included; adjacent ranges are merged. A report
-- refuses a span these do not cover (a hole), and the indexer a chain whose block at a range's end changed.
CREATE TABLE audit_ranges (
  chain_id bigint NOT NULL,
  from_block bigint NOT NULL,
  to_block bigint NOT NULL,
  to_block_hash text NOT NULL,   -- the last block's hash when indexed: a run first checks the node still has it
  PRIMARY KEY (chain_id, from_block),
  CHECK (from_block >= 0 AND to_block >= from_block)
);

-- One row a log. The columns after `args` repeat the arguments that reports select and join on; `args` holds them
-- all, as decoded through the SDK's ABIs (integers as decimal strings).
CREATE TABLE audit_events (
  chain_id bigint NOT NULL,
  block_number bigint NOT NULL,
  log_index integer NOT NULL,
  block_hash text NOT NULL,
  block_time timestamptz NOT NULL,
  tx_hash text NOT NULL,
  contract text NOT NULL,
  event text NOT NULL,
  args jsonb NOT NULL,
  patient numeric(20, 0),        -- the patient the event is about
  actor numeric(20, 0),          -- who acted or accessed: accessor, practitioner, requester, author, actor, id
  grantee numeric(20, 0),        -- whose grant or deny decided, or whom a grant names
  organization numeric(20, 0),   -- the organization named (break-glass, batch, affiliation's new organization)
  category smallint,             -- one data category (access decisions, records)
  categories bigint,             -- a set of categories (grants, denies, requests)
  purpose smallint,              -- one purpose of use
  purposes integer,              -- a set of purposes
  basis smallint,                -- the decision basis (DecisionBasis)
  record text,                   -- the record's commitment (record anchors, reads, amendments)
  PRIMARY KEY (chain_id, block_number, log_index)
);

CREATE INDEX audit_events_patient ON audit_events (chain_id, patient, block_number, log_index)
  WHERE patient IS NOT NULL;
CREATE INDEX audit_events_actor ON audit_events (chain_id, actor, block_number) WHERE actor IS NOT NULL;
CREATE INDEX audit_events_event ON audit_events (chain_id, event, block_number);
-- The organization a participant acted for at an event: its last affiliation change before it.
CREATE INDEX audit_events_affiliation ON audit_events (chain_id, actor, block_number DESC, log_index DESC)
  WHERE event = 'AffiliationChanged';
CREATE INDEX audit_events_record ON audit_events (chain_id, record) WHERE record IS NOT NULL;
-- What joins the events of one access request, break-glass session, amendment or adverse event.
CREATE INDEX audit_events_request ON audit_events (chain_id, (args ->> 'requestId'))
  WHERE event IN ('AccessRequested', 'AccessRequestResolved', 'AmendmentRequested', 'AmendmentAccepted',
    'AmendmentDenied', 'AmendmentWithdrawn');
CREATE INDEX audit_events_session ON audit_events (chain_id, (args ->> 'sessionId'))
  WHERE event IN ('BreakGlassOpened', 'BreakGlassClosed', 'BreakGlassReviewed');
CREATE INDEX audit_events_adverse ON audit_events (chain_id, (args ->> 'trialId'), (args ->> 'eventId'))
  WHERE event IN ('AdverseEventRecorded', 'SusarReported');
