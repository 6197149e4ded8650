import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { LiveItem } from './subscription-schema.ts';

/** A source that can hand over what it already holds (a replay), so those events execute together. */
export interface BufferedSource {
  takeBuffered(max: number): LiveItem[];
}

/** Events executed at once when the source holds several: their hydration shares gateway queries. */
const BATCH = 32;

/**
 * graphql-js `subscribe`, except each `next` result carries `extensions: { cursor }` of the event
 * that produced it (the only resume point a `postCreated` subscriber gets: its payload is a Post),
 * and events already waiting in a replaying source are executed concurrently, in order of delivery,
 * so the DataLoaders of their shared hydration scope batch them into one gateway query.
 */
export async function subscribeWithCursor(
  args: ExecutionArgs,
): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source;
  const events = source as AsyncGenerator<LiveItem> & Partial<BufferedSource>;
  const toResult = async (item: LiveItem): Promise<ExecutionResult> => {
    const result = await execute({ ...args, rootValue: item });
    return { ...result, extensions: { ...result.extensions, cursor: item.cursor } };
  };
  const ready: Promise<ExecutionResult>[] = [];
  const mapped = {
    async next(): Promise<IteratorResult<ExecutionResult>> {
      if (ready.length === 0) {
        const step = await events.next();
        if (step.done) return step;
        const batch = [step.value, ...(events.takeBuffered?.(BATCH - 1) ?? [])];
        ready.push(...batch.map(toResult));
      }
      return { value: await ready.shift()!, done: false };
    },
    async return(): Promise<IteratorResult<ExecutionResult>> {
      ready.length = 0;
      await events.return?.(undefined);
      return { value: undefined, done: true };
    },
    async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
      await events.return?.(undefined);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return mapped;
    },
  } as AsyncGenerator<ExecutionResult>;
  return mapped;
}
