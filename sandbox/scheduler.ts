import { setMaxListeners } from 'node:events';

/**
 * Owns every timer and background task of a sandbox, so that reset()/close() can cancel all
 * of them and wait until nothing is left running (no open handles).
 */
export interface TaskContext {
  /** Aborted when the sandbox is reset or closed. */
  readonly signal: AbortSignal;
  /** Resolves true after `ms`, or false as soon as the task is cancelled. */
  sleep(ms: number): Promise<boolean>;
}

export class Scheduler {
  private controller = newController();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly onError: (error: unknown) => void) {}

  run(task: (ctx: TaskContext) => Promise<void>): void {
    const signal = this.controller.signal;
    const ctx: TaskContext = { signal, sleep: (ms) => sleep(ms, signal) };
    const promise = task(ctx)
      .catch((error: unknown) => {
        if (!signal.aborted) this.onError(error);
      })
      .finally(() => this.running.delete(promise));
    this.running.add(promise);
  }

  /** Cancels every pending timer and in-flight request (tasks then wind down on their own). */
  cancel(): void {
    this.controller.abort();
    this.controller = newController();
  }

  /** Resolves once no task is running any more. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}

/** One signal is shared by every pending sleep and request, so lift the default cap of 10 listeners. */
function newController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
