import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { pool } from '../progress.ts';

/** `postCreated` subscribers that reconnect by themselves (as graphql-ws clients do) and remember what they saw. */
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
      on: { closed: () => void this.disconnects++ },
    });
    this.#clients.push(client);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`subscriber ${index} did not start within 30 s`)), 30_000);
      let started = false;
      client.subscribe<{ postCreated: { id: string } }>(
        { query: 'subscription { postCreated { id } }' },
        {
          next: (message) => {
            const id = message.data?.postCreated?.id;
            if (id) seen.add(id);
          },
          error: () => {},
          complete: () => {},
        },
      );
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
