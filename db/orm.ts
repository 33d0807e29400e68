import { MikroORM, type Options } from '@mikro-orm/postgresql';
import type { ClientBase } from 'pg';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './entities';
import { migrationsList } from './migrations';

export type Orm = MikroORM;

export function ormOptions(clientUrl: string, options: { poolMax?: number; debug?: boolean } = {}): Options {
  return {
    clientUrl,
    entities,
    extensions: [Migrator],
    migrations: { migrationsList, transactional: true, allOrNothing: true, snapshot: false },
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    pool: { min: 0, max: options.poolMax ?? 10 },
    // Strict typing of what goes in and out; no implicit schema changes at start.
    forceUtcTimezone: true,
    ensureDatabase: false,
    allowGlobalContext: false,
    debug: options.debug ?? false,
  };
}

export async function createOrm(clientUrl: string, options: { poolMax?: number } = {}): Promise<Orm> {
  return MikroORM.init(ormOptions(clientUrl, options));
}

export async function migrate(orm: Orm): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}

/**
 * Runs `fn` on one of the ORM's own connections as a plain `pg` client, for statements the ORM
 * would only slow down (db/delivery-outbox.ts). The ORM's connections hand timestamps over as text.
 */
export async function withPgClient<T>(orm: Orm, fn: (client: ClientBase) => Promise<T>): Promise<T> {
  const connections = orm.em.getConnection().getKnex().client;
  const client = (await connections.acquireConnection()) as ClientBase;
  try {
    return await fn(client);
  } finally {
    await connections.releaseConnection(client);
  }
}
