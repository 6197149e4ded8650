import type { StreamSpec } from '@micropost/events';

export interface StreamEnv {
  readonly EVENTS_STREAM: string;
  readonly EVENTS_STREAM_MAX_AGE: string;
  readonly EVENTS_STREAM_MAX_BYTES: number;
  readonly EVENTS_STREAM_SEGMENT_BYTES: number;
}

/**
 * The stream of EVERY event (`#`), not only those live clients need: the same log then serves
 * resuming subscriptions and `npm run replay` of any projection, and offsets stay one sequence.
 */
export function eventStreamSpec(env: StreamEnv): StreamSpec {
  return {
    stream: env.EVENTS_STREAM,
    bindings: ['#'],
    maxAge: env.EVENTS_STREAM_MAX_AGE,
    maxLengthBytes: env.EVENTS_STREAM_MAX_BYTES,
    maxSegmentBytes: env.EVENTS_STREAM_SEGMENT_BYTES,
  };
}
