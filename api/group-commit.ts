/**
 * Runs single calls as batches, one statement and one commit each: a call joins the queue and
 * gets its own result when its batch is done. There is no timer: a batch starts as soon as one
 * of `maxInFlight` slots is free, so an idle service answers a call at once and a busy one shares
 * each commit among all the calls that came while the last one ran.
 */
export class GroupCommit<I, O> {
  private readonly queue: { item: I; resolve: (result: O) => void; reject: (error: unknown) => void }[] = [];
  private inFlight = 0;

  constructor(
    private readonly runBatch: (items: I[]) => Promise<O[]>,
    private readonly limits: { maxBatch: number; maxInFlight: number },
  ) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.startBatches();
    });
  }

  private startBatches(): void {
    while (this.inFlight < this.limits.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.limits.maxBatch);
      this.inFlight += 1;
      this.runBatch(batch.map((call) => call.item))
        .then(
          (results) => batch.forEach((call, i) => call.resolve(results[i])),
          (error: unknown) => batch.forEach((call) => call.reject(error)),
        )
        .finally(() => {
          this.inFlight -= 1;
          this.startBatches();
        });
    }
  }
}
