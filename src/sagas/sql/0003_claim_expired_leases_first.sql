-- A claim takes sagas whose lease expired (their worker died) before sagas
-- never leased, oldest expiry first: under load the new sagas would otherwise
-- fill every claim batch and a dead host's sagas would wait behind them.
-- The claimable index follows the claim's order (lease_expires_at NULLS LAST).
DROP INDEX :SCHEMA:.sagas_claimable_idx;
CREATE INDEX sagas_claimable_idx ON :SCHEMA:.sagas (lease_expires_at NULLS LAST)
  WHERE status IN ('running', 'compensating');
