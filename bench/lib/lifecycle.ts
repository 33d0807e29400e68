/**
 * Everything a run starts is registered here and undone in reverse order, whether the run ends
 * normally, fails, is interrupted (Ctrl-C, SIGTERM) or runs out of time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';

type Step = { name: string; run: () => Promise<void> | void };

const ROOT = path.resolve(__dirname, '..', '..');

export class Lifecycle {
  private readonly steps: Step[] = [];
  /** Process groups still to kill if the process exits before cleanup got to them. */
  private readonly groups = new Set<number>();
  /** Single processes (not group leaders) to kill in the same case. */
  private readonly pids = new Set<number>();
  private readonly aborter = new AbortController();
  private cleaning?: Promise<void>;

  constructor(private readonly say: (line: string) => void) {
    process.on('exit', () => {
      for (const pgid of this.groups) killGroup(pgid, 'SIGKILL');
      for (const pid of this.pids) killPid(pid, 'SIGKILL');
    });
  }

  /** Aborted on SIGINT/SIGTERM or when the time limit passes; every wait of the run races it. */
  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  abort(reason: string): void {
    if (!this.aborter.signal.aborted) this.aborter.abort(new Error(reason));
  }

  /** Stops the run on the first signal; a second one exits at once (the exit hook still kills children). */
  trapSignals(): void {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.on(sig, () => {
        if (this.aborter.signal.aborted) process.exit(130);
        this.say(`${sig}: stopping and cleaning up (again to force)`);
        this.abort(`interrupted by ${sig}`);
      });
    }
  }

  limitTime(ms: number): void {
    const timer = setTimeout(() => this.abort(`time limit of ${Math.round(ms / 1000)} s reached`), ms);
    timer.unref();
  }

  /** Rejects as soon as the run is aborted; otherwise settles like `promise`. */
  async guard<T>(promise: Promise<T>): Promise<T> {
    const signal = this.aborter.signal;
    if (signal.aborted) throw signal.reason;
    let onAbort: () => void = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([promise, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** A process started elsewhere (e.g. the Temporal dev server) that must not outlive us. */
  track(pid: number | undefined): void {
    if (pid) this.pids.add(pid);
  }

  defer(name: string, run: () => Promise<void> | void): void {
    this.steps.push({ name, run });
  }

  /** Runs the registered steps now, latest first, and forgets them. */
  async cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      while (this.steps.length > 0) {
        const step = this.steps.pop()!;
        try {
          await withTimeout(Promise.resolve(step.run()), 15_000, step.name);
        } catch (error) {
          this.say(`cleanup: ${step.name}: ${String(error)}`);
        }
      }
    })();
    await this.cleaning;
    this.cleaning = undefined;
  }

  /**
   * Starts `node --import tsx <script>` from the repository root in a process group of its own
   * (so its whole tree can be stopped), output to `logFile`. The process is the service itself:
   * no npx or tsx wrapper in between, so its pid is the one whose memory we measure.
   * BENCH_NODE_ARGS adds node flags (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
   */
  spawnService(name: string, script: string, env: Record<string, string>, logFile: string): Service {
    const fd = openSync(logFile, 'a');
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], {
      cwd: ROOT,
      env,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    closeSync(fd);
    const pid = child.pid!;
    this.groups.add(pid);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const service: Service = {
      name,
      pid,
      child,
      logFile,
      exited,
      logTail: (lines = 20) => tail(logFile, lines),
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          killGroup(pid, 'SIGTERM');
          const forced = setTimeout(() => killGroup(pid, 'SIGKILL'), 8_000);
          await exited;
          clearTimeout(forced);
        }
        killGroup(pid, 'SIGKILL'); // anything the service left behind in its group
        this.groups.delete(pid);
      },
    };
    this.defer(`stop ${name}`, service.stop);
    return service;
  }
}

export interface Service {
  name: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
