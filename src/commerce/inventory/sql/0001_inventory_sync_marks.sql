-- Products whose stock moved and that sync-inventory-levels-on-events has not
-- synced yet. A mark is written in the transaction that moves the processor's
-- checkpoint past its event, and removed once the sync run that covered it
-- committed its reports; whoever holds the processor's lease next flushes what
-- is left (a host killed between the two). One row a product: later events
-- move last_ms and position on, first_ms stays (the maxWaitMs bound).
CREATE TABLE :SCHEMA:.inventory_sync_marks (
  creator_id  text NOT NULL,
  product_id  text NOT NULL,
  first_ms    bigint NOT NULL,
  last_ms     bigint NOT NULL,
  position    bigint NOT NULL,
  PRIMARY KEY (creator_id, product_id)
);
