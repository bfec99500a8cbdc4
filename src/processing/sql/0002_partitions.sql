-- Partition layouts: how many partitions a partitioned processor (or an async
-- projection, 1 when unpartitioned) is split into. Each layout has its own
-- checkpoints, so starting with another count is refused; a rebuild retires
-- the old partitions' checkpoints and records the new count.
CREATE TABLE :SCHEMA:.processor_layouts (
  name       text PRIMARY KEY,
  partitions int NOT NULL CHECK (partitions >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Members: the host instances sharing a partitioned processor. Each renews
-- expires_at on a heartbeat (the database clock decides, like leases); the
-- live members split the partitions between them, and a member whose row
-- expired is gone: its partitions go to the others once their leases expire.
CREATE TABLE :SCHEMA:.processor_members (
  name       text NOT NULL,
  member     text NOT NULL,
  joined_at  timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (name, member)
);
