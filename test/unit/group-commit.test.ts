import { GroupCommit } from '../../api/group-commit';

/** A batch runner whose batches finish when the test says so. */
function heldRunner() {
  const batches: { items: number[]; finish: () => void; fail: (error: Error) => void }[] = [];
  const run = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push({ items, finish: () => resolve(items.map((i) => `kept ${i}`)), fail: reject });
    });
  return { run, batches };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  test('an idle one runs a call at once; calls that come while the slots are taken share the next batch', async () => {
    const { run, batches } = heldRunner();
    const commit = new GroupCommit(run, { maxBatch: 3, maxInFlight: 1 });

    const first = commit.add(1);
    const waiting = [2, 3, 4, 5].map((i) => commit.add(i));
    await settle();
    const whileFirstRan = batches.map((b) => b.items);
    batches[0].finish();
    await settle();
    batches[1].finish();
    await settle();
    batches[2].finish();

    expect(whileFirstRan).toEqual([[1]]);
    expect(batches.map((b) => b.items)).toEqual([[1], [2, 3, 4], [5]]);
    expect(await first).toBe('kept 1');
    expect(await Promise.all(waiting)).toEqual(['kept 2', 'kept 3', 'kept 4', 'kept 5']);
  });

  test('runs up to maxInFlight batches at once', async () => {
    const { run, batches } = heldRunner();
    const commit = new GroupCommit(run, { maxBatch: 10, maxInFlight: 2 });

    const calls = [1, 2, 3].map((i) => commit.add(i));
    await settle();
    const running = batches.map((b) => b.items);
    batches.forEach((b) => b.finish());
    await settle();
    batches[2].finish();

    expect(running).toEqual([[1], [2]]);
    expect(await Promise.all(calls)).toEqual(['kept 1', 'kept 2', 'kept 3']);
  });

  test('a failed batch fails each of its calls, and the next batch still runs', async () => {
    const { run, batches } = heldRunner();
    const commit = new GroupCommit(run, { maxBatch: 10, maxInFlight: 1 });

    const first = commit.add(1);
    const second = [2, 3].map((i) => commit.add(i).catch((error: Error) => error.message));
    await settle();
    batches[0].finish();
    await settle();
    batches[1].fail(new Error('connection lost'));
    const later = commit.add(4);
    await settle();
    batches[2].finish();

    expect(await first).toBe('kept 1');
    expect(await Promise.all(second)).toEqual(['connection lost', 'connection lost']);
    expect(await later).toBe('kept 4');
  });
});
