/**
 * The cluster's one table, in the log's schema: a lease per node. `expires_at` is PostgreSQL's clock
 * (clock_timestamp()), the only clock every node and every check agrees on; `token` comes from a
 * sequence and is new at every join, so a node that lost its lease and joined again can never pass
 * off an append prepared under its old lease as a new one. `position` (the seq its actors and
 * projections have reached) and `owned` are what `chronicle cluster status` and /health show.
 */
export function createClusterSchema(schema: string): string {
  const s = `"${schema}"`;
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE SEQUENCE IF NOT EXISTS ${s}.cluster_tokens;
CREATE TABLE IF NOT EXISTS ${s}.cluster_nodes (
  node_id      text        PRIMARY KEY,
  token        bigint      NOT NULL,
  url          text,
  pid          integer,
  joined_at    timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  position     bigint      NOT NULL DEFAULT 0,
  owned        integer     NOT NULL DEFAULT 0
);
`;
}
