/**
 * One fsync for many writers (a group commit). A caller whose write has finished waits for a sync that
 * began after that write; callers that ask while a sync runs are all served by the next one. A burst of
 * flags for one worker then syncs its ledger and its receipts folder a few times instead of once a flag,
 * and each caller still returns only once its own write is durable.
 */
export function groupSync(sync: () => Promise<void>): () => Promise<void> {
  let asked = 0;
  let durable = 0;
  let running: Promise<void> | undefined;
  return async () => {
    const ticket = ++asked;
    while (durable < ticket) {
      if (running === undefined) {
        // Everything asked for so far was written before this sync starts, so it covers all of it.
        const covers = asked;
        running = sync()
          .then(() => {
            durable = Math.max(durable, covers);
          })
          .finally(() => {
            running = undefined;
          });
      }
      await running;
    }
  };
}

/** groupSync per key (a folder, a file), made on first use. */
export function groupSyncs(sync: (key: string) => Promise<void>): (key: string) => Promise<void> {
  const byKey = new Map<string, () => Promise<void>>();
  return (key) => {
    let synced = byKey.get(key);
    if (synced === undefined) {
      synced = groupSync(() => sync(key));
      byKey.set(key, synced);
    }
    return synced();
  };
}

/**
 * One write for many writers: texts given while a write runs are written together by the next one, in
 * order (`write` appends them: a ledger's write and fsync, the event log's O_APPEND write). Each caller
 * resolves once the write holding its text is done, or rejects with it.
 */
export function groupWrite(write: (text: string) => Promise<void>): (text: string) => Promise<void> {
  let gathering: { texts: string[]; written: Promise<void> } | undefined;
  let previous: Promise<unknown> = Promise.resolve();
  return (text) => {
    if (gathering === undefined) {
      const batch: { texts: string[]; written: Promise<void> } = { texts: [], written: Promise.resolve() };
      batch.written = previous.then(() => {
        // What comes from now on is the next batch's.
        gathering = undefined;
        return write(batch.texts.join(''));
      });
      previous = batch.written.catch(() => undefined);
      gathering = batch;
    }
    gathering.texts.push(text);
    return gathering.written;
  };
}
