import type { IncomingMessage } from 'node:http';

const MAX_BODY_BYTES = 1_000_000;

export class BodyTooLargeError extends Error {}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf-8');
}

/** Reads an application/x-www-form-urlencoded request body. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams(await readText(req));
}

/** Reads a JSON request body: an empty body is `{}`; undefined when it is not valid JSON. */
export async function readJson(req: IncomingMessage): Promise<{ value: unknown } | undefined> {
  const text = await readText(req);
  if (text.trim() === '') return { value: {} };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** Form parameters as a record (repeated keys become arrays), for recording requests as received. */
export function formToRecord(form: URLSearchParams): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = {};
  for (const key of new Set(form.keys())) {
    const values = form.getAll(key);
    record[key] = values.length === 1 ? values[0] : values;
  }
  return record;
}

/** Copy of a formToRecord() record. */
export function copyParams(params: Record<string, string | string[]>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(params).map(([key, value]) => [key, Array.isArray(value) ? [...value] : value]));
}
