import type { EventBus, StreamDelivery, StreamReader } from '@micropost/events';
import type { Logger } from '@micropost/logger';
import { CursorExpiredError } from '@micropost/server';
import { encodeCursor, eventTag, type Cursor } from './cursor.ts';
import { HydrationScope, type GatewayExecutor } from './hydrator.ts';
import { liveDeliveries, type LiveChannel } from './live-channels.ts';
import type { LiveHub } from './live-hub.ts';
import { RecentIds } from './recent-ids.ts';
import type { BufferedSource } from './subscribe-with-cursor.ts';
import type { LiveItem } from './subscription-schema.ts';

/** Counting semaphore: bounds the replays one server runs at once, so a stampede queues instead of piling up. */
export class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  async acquire(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    };
  }
}

/**
 * Hydration scopes of replayed events, shared by every replay on this server: clients resuming
 * together (after a server died) replay the same events, and one scope per block of offsets lets
 * the first fetch serve them all. Kept briefly, so what a replay shows is at most this old.
 */
export class ReplayScopes {
  readonly #scopes = new Map<number, { readonly scope: HydrationScope; readonly expires: number }>();

  constructor(
    private readonly execute: GatewayExecutor,
    private readonly logger: Logger,
    private readonly ttlMs = 5_000,
    private readonly max = 256,
  ) {}

  forOffset(offset: number): HydrationScope {
    const block = Math.floor(offset / REPLAY_SCOPE_EVENTS);
    const now = Date.now();
    const cached = this.#scopes.get(block);
    if (cached && cached.expires > now) return cached.scope;
    const scope = new HydrationScope(this.execute, this.logger);
    this.#scopes.delete(block);
    this.#scopes.set(block, { scope, expires: now + this.ttlMs });
    // Oldest first in a Map: evict beyond the bound.
    while (this.#scopes.size > this.max) this.#scopes.delete(this.#scopes.keys().next().value!);
    return scope;
  }
}

export interface ResumeOptions {
  readonly bus: EventBus;
  readonly stream: string;
  readonly hub: LiveHub<LiveItem>;
  /** The offset the live reader handled last (undefined until it handled one). */
  readonly liveHead: () => number | undefined;
  readonly scopes: ReplayScopes;
  readonly logger: Logger;
  /** Items held for the client, and live items held while the replay runs: both bounded. */
  readonly bufferSize: number;
  readonly slots: Slots;
  /** How long the cursor's own event may take to come back before the cursor is called expired. */
  readonly verifyTimeoutMs: number;
  /** Deliveries the broker sends a replay ahead of it. */
  readonly prefetch: number;
}

/** How long a replay must have received nothing before it is taken as caught up (see #maybeHandOver). */
const IDLE_HAND_OVER_MS = 500;

/** Replayed events share a hydration scope per block of this many offsets, so one gateway query serves a batch. */
const REPLAY_SCOPE_EVENTS = 32;

/**
 * A subscription resumed after `cursor`: it listens to the hub from the start (buffering live items),
 * replays the stream on a reader of its own from the cursor, then hands over to the live items.
 *
 * Hand-over without gap or duplicate: the replay stops at offset `o` once the live reader has
 * handled `o` too (so every later event reaches the hub, where this subscription listens), or once
 * `o + 1` is the first buffered live item; buffered items at or before `o` are dropped. If the live
 * buffer overflows it is emptied: the replay reads those events from the stream anyway.
 */
export async function resume(
  options: ResumeOptions,
  channel: LiveChannel,
  cursor: Cursor,
): Promise<AsyncIterableIterator<LiveItem>> {
  const sink = new ResumeSink(options, channel, cursor);
  try {
    await sink.start();
  } catch (error) {
    await sink.return();
    throw error;
  }
  return sink;
}

class ResumeSink implements AsyncIterableIterator<LiveItem>, BufferedSource {
  readonly #out: LiveItem[] = [];
  #live: LiveItem[] = [];
  #replaying = true;
  /** The last offset the replay handled: live items up to it are repeats. */
  #handedOverAt = -1;
  #closed = false;
  #waiting: ((result: IteratorResult<LiveItem>) => void) | null = null;
  #space: (() => void)[] = [];
  /** Ids of this channel's events delivered lately: an outbox retry publishes an event twice, close together. */
  readonly #seen = new RecentIds(512);
  readonly #unlisten: () => void;
  #reader: StreamReader | undefined;
  #release: (() => void) | undefined;
  #verified = false;
  #idleTimer: NodeJS.Timeout | undefined;
  #settle: { resolve: () => void; reject: (error: Error) => void } | undefined;

  constructor(
    private readonly options: ResumeOptions,
    private readonly channel: LiveChannel,
    private readonly cursor: Cursor,
  ) {
    // Listen first: every live item from now on is either buffered here or replayed.
    this.#unlisten = options.hub.listen(channel, { push: (item) => this.#onLive(item) });
  }

  /** Waits for a replay slot, then resolves once the cursor's event is found (else CURSOR_EXPIRED). */
  async start(): Promise<void> {
    this.#release = await this.options.slots.acquire();
    if (this.#closed) return this.#release();
    const verified = new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject }));
    verified.catch(() => {}); // awaited below; may settle before that
    const timer = setTimeout(() => this.#settle?.reject(new CursorExpiredError()), this.options.verifyTimeoutMs);
    try {
      // From the cursor's own offset: its event must still be there and be the one the cursor names.
      this.#reader = await this.options.bus.readStream(
        this.options.stream,
        { offset: this.cursor.offset },
        (delivery) => this.#onReplay(delivery),
        { prefetch: this.options.prefetch },
      );
      await verified;
    } finally {
      clearTimeout(timer);
    }
  }

  async #onReplay({ offset, event }: StreamDelivery): Promise<void> {
    if (!this.#replaying || this.#closed) return;
    clearTimeout(this.#idleTimer); // not idle: an event came
    if (!this.#verified) {
      if (offset !== this.cursor.offset || eventTag(event.id) !== this.cursor.tag) {
        this.#replaying = false;
        this.#settle?.reject(new CursorExpiredError());
        return;
      }
      this.#verified = true;
      this.#seen.firstSighting(event.id);
      this.#settle?.resolve();
      this.#maybeHandOver(offset);
      return;
    }
    const delivery = liveDeliveries(event).find((candidate) => candidate.channel === this.channel);
    if (delivery && this.#seen.firstSighting(event.id)) {
      const item: LiveItem = {
        cursor: encodeCursor(offset, event.id),
        offset,
        eventId: event.id,
        payload: delivery.payload,
        scope: this.options.scopes.forOffset(offset),
      };
      // Backpressure: the stream waits while the client has a full buffer to read.
      while (this.#out.length >= this.options.bufferSize && !this.#closed)
        await new Promise<void>((resolve) => this.#space.push(resolve));
      if (this.#closed || !this.#replaying) return;
      this.#emit(item);
    }
    this.#maybeHandOver(offset);
  }

  #maybeHandOver(offset: number): void {
    const head = this.options.liveHead();
    const firstBuffered = this.#live[0];
    if ((head !== undefined && offset >= head) || (firstBuffered && firstBuffered.offset <= offset + 1)) {
      this.#handOver(offset);
      return;
    }
    // The live reader has handled nothing since this server started, so everything after what the
    // replay has read will reach the hub: once the replay has read all there is, it can stop.
    clearTimeout(this.#idleTimer);
    if (head === undefined)
      this.#idleTimer = setTimeout(() => {
        if (this.#replaying && !this.#closed && this.options.liveHead() === undefined) this.#handOver(offset);
      }, IDLE_HAND_OVER_MS);
  }

  #handOver(offset: number): void {
    clearTimeout(this.#idleTimer);
    // The buffered items join what the replay left for the client, without dropping any of it:
    // bounded by the two buffers together.
    for (const item of this.#live) if (item.offset > offset && this.#seen.firstSighting(item.eventId)) this.#emit(item);
    this.#handedOverAt = offset;
    this.#replaying = false;
    this.#live = [];
    this.#stopReplay();
  }

  #onLive(item: LiveItem): void {
    if (this.#closed) return;
    if (!this.#replaying) {
      // A live reader behind the replay still brings what the replay delivered: by offset, then by id
      // (the same event published twice by an outbox retry has two offsets).
      if (item.offset > this.#handedOverAt && this.#seen.firstSighting(item.eventId)) this.#emit(item);
      return;
    }
    // The replay will read these from the stream if they are dropped here.
    if (this.#live.length >= this.options.bufferSize) this.#live = [];
    this.#live.push(item);
  }

  #emit(item: LiveItem): void {
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = null;
      resolve({ value: item, done: false });
      return;
    }
    // Live items to a client that does not keep up: the oldest go, as for every live subscription.
    if (!this.#replaying && this.#out.length >= this.options.bufferSize) this.#out.shift();
    this.#out.push(item);
  }

  #stopReplay(): void {
    const reader = this.#reader;
    this.#reader = undefined;
    // Not awaited: this may run inside the reader's own handler, which cancel() waits for.
    void (reader ? reader.cancel() : Promise.resolve())
      .catch((err) => this.options.logger.warn({ err }, 'could not stop a replay'))
      .finally(() => this.#release?.());
  }

  next(): Promise<IteratorResult<LiveItem>> {
    const item = this.#out.shift();
    if (item) {
      this.#space.shift()?.();
      return Promise.resolve({ value: item, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.#waiting = resolve));
  }

  takeBuffered(max: number): LiveItem[] {
    const taken = this.#out.splice(0, max);
    for (const resolve of this.#space.splice(0, taken.length)) resolve();
    return taken;
  }

  async return(): Promise<IteratorResult<LiveItem>> {
    if (!this.#closed) {
      this.#closed = true;
      this.#replaying = false;
      this.#unlisten();
      this.#out.length = 0;
      this.#live = [];
      this.#waiting?.({ value: undefined, done: true });
      this.#waiting = null;
      for (const resolve of this.#space.splice(0)) resolve();
      this.#settle?.reject(new CursorExpiredError());
      clearTimeout(this.#idleTimer);
      this.#stopReplay();
      if (!this.#reader) this.#release?.();
    }
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<LiveItem>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
