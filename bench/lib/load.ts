/**
 * The load generator: `concurrency` workers issue requests until `n` are done, back to back
 * (closed loop) or, given `ratePerSecond`, each request no earlier than its slot in a fixed
 * arrival schedule (open loop, still never more than `concurrency` in flight).
 */
import http from 'node:http';

export interface LoadResult {
  /** Per request, from just before it is written to when its whole response has arrived. */
  latenciesMs: number[];
  /** How many requests got each HTTP status ("error" for no answer). */
  statuses: Record<string, number>;
  /** The first few unexpected answers, for the report. */
  samples: string[];
  startedAt: number;
  endedAt: number;
}

export interface JsonClient {
  post(path: string, body: unknown): Promise<{ status: number; text: string }>;
  close(): void;
}

export interface PostClient {
  post(path: string, payload: Buffer, headers: Record<string, string | number>): Promise<{ status: number; text: string }>;
  close(): void;
}

/** Keep-alive POSTs to one local server, at most `sockets` connections at a time. */
export function postClient(baseUrl: string, sockets: number): PostClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const { hostname, port } = new URL(baseUrl);
  return {
    post: (path, payload, headers) =>
      new Promise((resolve, reject) => {
        const req = http.request({ agent, hostname, port, path, method: 'POST', headers: { ...headers, 'Content-Length': payload.length } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.setTimeout(30_000, () => req.destroy(new Error('request timed out after 30 s')));
        req.on('error', reject);
        req.end(payload);
      }),
    close: () => agent.destroy(),
  };
}

/** Keep-alive JSON POSTs to one local server, at most `sockets` connections at a time. */
export function jsonClient(baseUrl: string, headers: Record<string, string>, sockets: number): JsonClient {
  const client = postClient(baseUrl, sockets);
  return {
    post: (path, body) => client.post(path, Buffer.from(JSON.stringify(body)), { ...headers, 'Content-Type': 'application/json' }),
    close: () => client.close(),
  };
}

export async function runLoad(options: {
  n: number;
  concurrency: number;
  send: (index: number) => Promise<{ status: number; text: string }>;
  expectStatus: number;
  signal: AbortSignal;
  ratePerSecond?: number;
}): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const statuses: Record<string, number> = {};
  const samples: string[] = [];
  let next = 0;
  const startedAt = Date.now();
  const worker = async () => {
    while (next < options.n && !options.signal.aborted) {
      const index = next++;
      if (options.ratePerSecond) {
        const wait = startedAt + (index * 1000) / options.ratePerSecond - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const t0 = performance.now();
      let key: string;
      try {
        const { status, text } = await options.send(index);
        key = String(status);
        if (status === options.expectStatus) latenciesMs.push(performance.now() - t0);
        else if (samples.length < 5) samples.push(`${status} ${text.slice(0, 300)}`);
      } catch (error) {
        key = 'error';
        if (samples.length < 5) samples.push(String(error));
      }
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.n) }, worker));
  return { latenciesMs, statuses, samples, startedAt, endedAt: Date.now() };
}
