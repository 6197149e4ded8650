import { setTimeout as sleep } from 'node:timers/promises';
import type { Collection, Document } from 'mongodb';
import type { Logger } from '@micropost/logger';
import type { EventBus } from './bus.ts';
import type { EventEnvelope } from './envelope.ts';

export interface OutboxRelayOptions {
  /** Collections whose documents may carry an outbox (each with `ensureOutboxIndex`). */
  collections: readonly Collection<any>[];
  bus: Pick<EventBus, 'publish'>;
  logger: Logger;
  /** How long a claimed document is reserved for this relay before another may take it; default 30000 ms. */
  leaseMs?: number;
  /** Idle poll interval, the safety net behind `notify()`; default 1000 ms. */
  pollMs?: number;
  /**
   * While passes keep finding nothing due, the idle wait doubles from `pollMs` up to this (default
   * 8 × pollMs); a relayed document or `notify()` brings it back to `pollMs`. Each claim is a query
   * on `outboxDueAt`, which FerretDB 1.24 answers by decoding the whole collection: at a fixed 1 s,
   * the idle relays of two servers kept FerretDB (then on SQLite) at ~75% of a core with no traffic.
   */
  maxPollMs?: number;
  /** Cap of the backoff while publishing or the database fails; default 5000 ms. */
  maxBackoffMs?: number;
  /**
   * Per collection name, the fields of its shard key: the relay's writes to a claimed document
   * carry their values too, so a sharded cluster routes them to one shard instead of broadcasting
   * a filter on `_id` alone. (The claim itself looks for due documents wherever they are.)
   */
  shardKeyFields?: Readonly<Record<string, readonly string[]>>;
}

type Phase =
  | { name: 'idle' }
  | { name: 'running'; loop: Promise<void> }
  | { name: 'stopping'; loop: Promise<void> }
  | { name: 'stopped' };

type Outcome = 'nothing-due' | 'relayed' | 'failed';

/**
 * Publishes the events that stores wrote into their documents' outboxes, in order, with confirms,
 * then removes them (and removes a tombstoned document once its outbox is empty). Several relays (one per server) may watch the same collection: each claims a
 * document with a lease before publishing, so normally one publishes it; if a lease expires
 * mid-way an event can go out twice, which consumers tolerate (they dedupe by envelope id).
 */
export class OutboxRelay {
  readonly #collections: readonly Collection<Document>[];
  readonly #bus: Pick<EventBus, 'publish'>;
  readonly #logger: Logger;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  readonly #maxPollMs: number;
  readonly #maxBackoffMs: number;
  readonly #shardKeyFields: Readonly<Record<string, readonly string[]>>;
  /** Passes in a row that found nothing due: the idle wait is pollMs × 2^this, capped. */
  #idlePasses = 0;
  #phase: Phase = { name: 'idle' };
  /** Interrupts the idle wait (notify, stop) or the backoff (stop only). */
  #wake = new AbortController();
  /** A write was notified while a pass was running: do another pass before sleeping. */
  #notified = false;
  /** Consecutive failed passes; errors are logged once per outage, not per attempt. */
  #failures = 0;
  /** Per collection, the document claimed by a pass that then failed (still leased to this relay). */
  readonly #held = new Map<Collection<Document>, Document['_id']>();

  constructor(options: OutboxRelayOptions) {
    this.#collections = options.collections;
    this.#bus = options.bus;
    this.#logger = options.logger.child({ component: 'outbox-relay' });
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#pollMs = options.pollMs ?? 1_000;
    this.#maxPollMs = Math.max(this.#pollMs, options.maxPollMs ?? 8 * this.#pollMs);
    this.#maxBackoffMs = options.maxBackoffMs ?? 5_000;
    this.#shardKeyFields = options.shardKeyFields ?? {};
  }

  start(): void {
    if (this.#phase.name !== 'idle') return;
    // The phase must read 'running' before the loop's first check, which runs synchronously.
    const running: { name: 'running'; loop: Promise<void> } = { name: 'running', loop: Promise.resolve() };
    this.#phase = running;
    running.loop = this.#run();
  }

  /** Stops polling and resolves once the in-flight document is finished. */
  async stop(): Promise<void> {
    const phase = this.#phase;
    switch (phase.name) {
      case 'idle':
      case 'stopped':
        this.#phase = { name: 'stopped' };
        return;
      case 'running':
        this.#phase = { name: 'stopping', loop: phase.loop };
        this.#wake.abort();
        await phase.loop;
        this.#phase = { name: 'stopped' };
        return;
      case 'stopping':
        await phase.loop;
        return;
      default:
        throw new Error(`unreachable relay phase ${(phase satisfies never as Phase).name}`);
    }
  }

  /** Wake now: a store just wrote events. Does not cut a failure backoff short. */
  notify(): void {
    this.#notified = true;
    this.#idlePasses = 0;
    this.#wake.abort();
  }

  async #run(): Promise<void> {
    while (this.#phase.name === 'running') {
      this.#notified = false;
      const outcome = await this.#pass();
      if (outcome === 'relayed') {
        this.#idlePasses = 0;
        continue;
      }
      if (outcome === 'failed') {
        const backoff = Math.min(100 * 2 ** (this.#failures - 1), this.#maxBackoffMs);
        await this.#sleep(backoff, { wakeOnNotify: false });
      } else if (!this.#notified) {
        const idleMs = Math.min(this.#pollMs * 2 ** Math.min(this.#idlePasses, 20), this.#maxPollMs);
        this.#idlePasses++;
        await this.#sleep(idleMs, { wakeOnNotify: true });
      }
    }
  }

  /** One round over the collections, at most one document each, so a busy collection cannot starve another. */
  async #pass(): Promise<Outcome> {
    let result: Outcome = 'nothing-due';
    for (const collection of this.#collections) {
      if (this.#phase.name !== 'running') break;
      let outcome: Outcome;
      try {
        outcome = await this.#relayOne(collection);
      } catch (err) {
        outcome = 'failed';
        this.#reportFailure(err, collection.collectionName);
      }
      if (outcome === 'failed') return 'failed';
      if (outcome === 'relayed') result = 'relayed';
    }
    if (result === 'relayed' && this.#failures > 0) {
      this.#logger.info({ failedAttempts: this.#failures }, 'outbox relay recovered');
      this.#failures = 0;
    }
    return result;
  }

  async #relayOne(collection: Collection<Document>): Promise<Outcome> {
    const now = Date.now();
    // A document this relay claimed when the database then failed is still leased to it: take it
    // back first, rather than leaving its events waiting for the lease to expire.
    const held = this.#held.get(collection);
    let claimed: Document | null =
      held === undefined
        ? null
        : await collection.findOneAndUpdate(
            { _id: held, outboxPending: true },
            { $set: { outboxDueAt: new Date(now + this.#leaseMs) } },
            { returnDocument: 'after' },
          );
    this.#held.delete(collection);
    // The claim: take the oldest due document and push its due time past the lease, atomically,
    // so a concurrent relay's claim skips it.
    claimed ??= await collection.findOneAndUpdate(
      { outboxPending: true, outboxDueAt: { $lte: new Date(now) } },
      { $set: { outboxDueAt: new Date(now + this.#leaseMs) } },
      // No projection: FerretDB 1.24's findAndModify rejects `fields` (NotImplemented).
      { sort: { outboxDueAt: 1 }, returnDocument: 'after' },
    );
    if (!claimed) return 'nothing-due';
    // Forgotten only once the document is released below; a database error on the way keeps it.
    this.#held.set(collection, claimed._id);
    const doc = claimed;
    // The claimed document's `_id` and shard key values: every write below addresses it by these.
    const self = (filter: Document) => ({
      _id: doc._id,
      ...Object.fromEntries(
        (this.#shardKeyFields[collection.collectionName] ?? []).map((field) => [field, doc[field]]),
      ),
      ...filter,
    });
    const events = (Array.isArray(claimed.outbox) ? claimed.outbox : []) as EventEnvelope[];

    const published: string[] = [];
    let failure: unknown;
    for (const event of events) {
      try {
        await this.#bus.publish(event);
        published.push(event.id);
      } catch (err) {
        failure = err;
        break; // keep order: nothing after a failed event goes out before it
      }
    }

    // FerretDB 1.24 ignores `$pull` with a condition (it only removes exact values), so remove the
    // published events one by one from the head, each only if it is still the one we published —
    // a relay whose lease expired cannot then remove an event it did not publish.
    for (const id of published) {
      await collection.updateOne(self({ 'outbox.0.id': id }), { $pop: { outbox: -1 } });
    }
    // Release the lease: null once empty, else due now (for the rest, or events written meanwhile).
    const drained = await collection.updateOne(self({ outbox: { $size: 0 } }), {
      $set: { outboxDueAt: null, outboxPending: false },
    });
    if (drained.matchedCount === 1 && claimed.tombstone === true) {
      await collection.deleteOne(self({ tombstone: true, outbox: { $size: 0 } }));
    } else if (drained.matchedCount === 0) {
      const rest = await collection.updateOne(self({ 'outbox.0': { $exists: true } }), {
        $set: { outboxDueAt: new Date() },
      });
      // No outbox array at all (a foreign write): stop claiming it.
      if (rest.matchedCount === 0)
        await collection.updateOne(self({ outbox: { $exists: false } }), {
          $set: { outboxDueAt: null, outboxPending: false },
        });
    }

    this.#held.delete(collection);
    if (failure !== undefined) {
      this.#reportFailure(failure, collection.collectionName);
      return 'failed';
    }
    return 'relayed';
  }

  #reportFailure(err: unknown, collection: string): void {
    this.#failures++;
    if (this.#failures === 1)
      this.#logger.warn({ err, collection }, 'outbox relay cannot publish; retrying with backoff');
    else
      this.#logger.debug(
        { err: (err as Error)?.message, collection, failures: this.#failures },
        'outbox relay still failing',
      );
  }

  async #sleep(ms: number, { wakeOnNotify }: { wakeOnNotify: boolean }): Promise<void> {
    if (this.#phase.name !== 'running') return;
    if (wakeOnNotify) {
      this.#wake = new AbortController();
      if (this.#notified) return;
      await sleep(ms, undefined, { signal: this.#wake.signal }).catch(() => {});
      return;
    }
    // Backoff: only stop interrupts it; notify() just leaves #notified set for afterwards.
    const deadline = Date.now() + ms;
    while (this.#phase.name === 'running' && Date.now() < deadline) {
      this.#wake = new AbortController();
      await sleep(deadline - Date.now(), undefined, { signal: this.#wake.signal }).catch(() => {});
    }
  }
}
