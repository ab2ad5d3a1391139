/** Workflows for Workflow Updates, update-with-start and the message-passing / early-return sample patterns. */
import {
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  setHandler,
  sleep,
} from '@temporalio/workflow';

export const addUpdate = defineUpdate<number, [number]>('add');
export const hangUpdate = defineUpdate<string, []>('hang');
export const doneSignal = defineSignal('done');
export const totalQuery = defineQuery<number>('total');

/** Adds through an update whose validator rejects negatives; returns the total after `done`. */
export async function counter(): Promise<number> {
  let total = 0;
  let done = false;
  setHandler(
    addUpdate,
    (n) => {
      total += n;
      return total;
    },
    {
      validator: (n) => {
        if (n < 0) throw new Error(`negative: ${n}`);
      },
    },
  );
  setHandler(hangUpdate, async () => {
    await condition(() => false);
    return 'never';
  });
  setHandler(doneSignal, () => {
    done = true;
  });
  setHandler(totalQuery, () => total);
  await condition(() => done);
  return total;
}

/** Sleeps for days; updates and queries still get answers meanwhile. */
export async function longSleeper(): Promise<number> {
  let total = 0;
  setHandler(addUpdate, (n) => (total += n));
  setHandler(totalQuery, () => total);
  await sleep('30 days'); // beyond setTimeout's 24.8-day range
  return total;
}

// message-passing sample (introduction): a query, a signal and an update with a validator.
export type Language = 'ENGLISH' | 'CHINESE' | 'FRENCH';
export const getLanguage = defineQuery<Language>('getLanguage');
export const approve = defineSignal<[{ name: string }]>('approve');
export const setLanguage = defineUpdate<Language, [Language]>('setLanguage');
const greetings: Partial<Record<Language, string>> = { ENGLISH: 'Hello, world', CHINESE: '你好，世界' };

export async function greetingWorkflow(): Promise<string> {
  let language: Language = 'ENGLISH';
  let approvedBy = '';
  setHandler(getLanguage, () => language);
  setHandler(approve, (input) => {
    approvedBy = input.name;
  });
  setHandler(
    setLanguage,
    (next) => {
      const previous = language;
      language = next;
      return previous;
    },
    {
      validator: (next) => {
        if (!(next in greetings)) throw new Error(`${next} is not supported`);
      },
    },
  );
  await condition(() => approvedBy !== '');
  return `${greetings[language] ?? ''} (approved by ${approvedBy})`;
}

// early-return sample: update-with-start answers once the transaction is authorized, the workflow goes on.
export const confirmTransaction = defineUpdate<string, []>('getTransactionConfirmation');

export async function transactionWorkflow(amount: number): Promise<string> {
  const tx: { authorized?: string } = {};
  setHandler(confirmTransaction, async () => {
    await condition(() => tx.authorized !== undefined);
    if (tx.authorized === 'declined') throw ApplicationFailure.nonRetryable('transaction declined', 'Declined');
    return tx.authorized ?? '';
  });
  await sleep(10);
  tx.authorized = amount > 0 ? `tx-${amount}` : 'declined';
  await sleep(50); // the rest of the transaction, after the caller already has its answer
  return tx.authorized === 'declined' ? 'declined' : 'settled';
}
