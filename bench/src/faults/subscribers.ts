import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { pool } from '../progress.ts';

/**
 * `postCreated` subscribers that reconnect by themselves and resume from the last cursor they saw,
 * as the README tells clients to (see "Cursors and retention"), and remember what they received.
 */
export class Subscribers {
  readonly #clients: Client[] = [];
  /** Post ids each subscriber received. */
  readonly received: Set<string>[] = [];
  /** Times a subscriber's socket closed under it. */
  disconnects = 0;

  static async open(wsUrl: string, count: number): Promise<Subscribers> {
    const subscribers = new Subscribers();
    await pool(
      Array.from({ length: count }, (_, i) => i),
      20,
      (i) => subscribers.#subscribe(wsUrl, i),
    );
    return subscribers;
  }

  #subscribe(wsUrl: string, index: number): Promise<void> {
    const seen = new Set<string>();
    this.received[index] = seen;
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      keepAlive: 5_000,
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: () => true,
      // A fixed short wait: the figures measure the server side, not a client's back-off.
      retryWait: () => new Promise((resolve) => setTimeout(resolve, 500)),
    });
    this.#clients.push(client);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`subscriber ${index} did not start within 30 s`)), 30_000);
      let started = false;
      let cursor: string | undefined;
      const subscribe = () =>
        client.subscribe<{ postCreated: { id: string } }>(
          { query: 'subscription($after: String) { postCreated(after: $after) { id } }', variables: { after: cursor } },
          {
            next: (message) => {
              const id = message.data?.postCreated?.id;
              if (id) seen.add(id);
              cursor = (message.extensions as { cursor?: string } | undefined)?.cursor ?? cursor;
            },
            error: () => {},
            complete: () => {},
          },
        );
      let current = subscribe();
      // graphql-ws would repeat the first subscribe message after a reconnect; resume from the
      // last cursor instead (the new subscribe goes out once the socket is back).
      client.on('closed', () => {
        this.disconnects++;
        if (!started) return;
        current();
        current = subscribe();
      });
      // graphql-ws has no "subscribed" callback: the connection being acknowledged is close enough.
      client.on('connected', () => {
        if (started) return;
        started = true;
        clearTimeout(timer);
        resolve();
      });
    });
  }

  get count(): number {
    return this.#clients.length;
  }

  async close(): Promise<void> {
    await Promise.all(this.#clients.map((client) => client.dispose()));
  }
}
