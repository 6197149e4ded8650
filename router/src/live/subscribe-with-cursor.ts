import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { LiveItem } from './subscription-schema.ts';

/**
 * graphql-js `subscribe`, except each `next` result carries `extensions: { cursor }` of the event
 * that produced it: the only resume point a `postCreated` subscriber gets (its payload is a Post).
 */
export async function subscribeWithCursor(
  args: ExecutionArgs,
): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source;
  const events = source as AsyncGenerator<LiveItem>;
  const toResult = async (item: LiveItem): Promise<ExecutionResult> => {
    const result = await execute({ ...args, rootValue: item });
    return { ...result, extensions: { ...result.extensions, cursor: item.cursor } };
  };
  const mapped = {
    async next() {
      const step = await events.next();
      return step.done ? step : { value: await toResult(step.value), done: false };
    },
    async return() {
      await events.return?.(undefined);
      return { value: undefined, done: true };
    },
    async throw(error: unknown) {
      await events.return?.(undefined);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return mapped;
    },
  } as AsyncGenerator<ExecutionResult>;
  return mapped;
}
