import { HOME_FEED_QUERY, gql } from '../load.ts';
import { pool, sleep } from '../progress.ts';

/** Codes the API contract documents: an error carrying one of these is a clean error. */
export const DOCUMENTED_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
]);

export type Operation = 'createPost' | 'likePost' | 'homeFeed';

/** One request the load made: when, and how it ended. */
export interface RequestRecord {
  op: Operation;
  /** Epoch ms at send and at answer (or at the client's deadline). */
  t0: number;
  t1: number;
  ok: boolean;
  /**
   * A failure's kind: a documented GraphQL code, `INTERNAL_SERVER_ERROR`, `HTTP <status>` (an
   * answer that is not GraphQL, e.g. the balancer's 503 page), `TRANSPORT` or `TIMEOUT`.
   */
  kind?: string;
  /** The first 200 characters of a failure's body or error. */
  detail?: string;
}

export interface User {
  id: string;
  handle: string;
  token: string;
}

export interface AckedPost {
  id: string;
  authorId: string;
  /** A word only this post contains, to find it through search. */
  word: string;
  /** Epoch ms of the acknowledgement. */
  at: number;
}

export interface AckedLike {
  userId: string;
  postId: string;
  at: number;
}

/** Registers `count` users through the balancer and makes each follow every writer (the first `writers`). */
export async function createUsers(url: string, count: number, writers: number): Promise<User[]> {
  const run = `${Date.now().toString(36)}`;
  const users = await pool(
    Array.from({ length: count }, (_, i) => i),
    4,
    async (i) => {
      const handle = `f${run}_${i}`.slice(0, 30);
      const data = await gql<{ register: { token: string; user: { id: string } } }>(
        url,
        'mutation ($handle: String!) { register(handle: $handle, password: "fault suite pw", displayName: "Fault suite") { token user { id } } }',
        { handle },
      );
      return { id: data.register.user.id, handle, token: data.register.token };
    },
  );
  const follows = users.flatMap((user) =>
    users.slice(0, writers).flatMap((writer) => (writer.id === user.id ? [] : [{ user, writer }])),
  );
  await pool(follows, 4, ({ user, writer }) =>
    gql(url, 'mutation ($id: ID!) { follow(userId: $id) { id } }', { id: writer.id }, user.token),
  );
  return users;
}

/** Steady load through the balancer until `stop()`: writers post and like, readers read their homeFeed. */
export class Traffic {
  readonly records: RequestRecord[] = [];
  readonly posts: AckedPost[] = [];
  readonly likes: AckedLike[] = [];
  #running = true;
  #loops: Promise<void>[] = [];
  #sequence = 0;

  constructor(
    readonly url: string,
    readonly users: readonly User[],
    readonly options: { writers: number; readers: number; writerPauseMs: number; requestTimeoutMs: number },
  ) {}

  start(): void {
    const writers = this.users.slice(0, this.options.writers);
    const readers = this.users.slice(this.options.writers, this.options.writers + this.options.readers);
    this.#loops = [...writers.map((user) => this.#writer(user)), ...readers.map((user) => this.#reader(user))];
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  async #writer(user: User): Promise<void> {
    const liked = new Set<string>();
    while (this.#running) {
      const word = `fx${process.pid.toString(36)}q${(this.#sequence++).toString(36)}`;
      const created = await this.#request(
        'createPost',
        user.token,
        'mutation ($body: String!) { createPost(body: $body) { id } }',
        {
          body: `fault suite post ${word} #faults`,
        },
      );
      const postId = (created as { createPost?: { id: string } } | undefined)?.createPost?.id;
      if (postId) this.posts.push({ id: postId, authorId: user.id, word, at: Date.now() });
      // Like someone else's recent post, once per user and post.
      const candidates = this.posts.slice(-20).filter((post) => post.authorId !== user.id && !liked.has(post.id));
      const target = candidates[Math.floor(Math.random() * candidates.length)];
      if (target) {
        const result = await this.#request(
          'likePost',
          user.token,
          'mutation ($id: ID!) { likePost(postId: $id) { id } }',
          {
            id: target.id,
          },
        );
        if (result) {
          liked.add(target.id);
          this.likes.push({ userId: user.id, postId: target.id, at: Date.now() });
        }
      }
      await sleep(this.options.writerPauseMs);
    }
  }

  async #reader(user: User): Promise<void> {
    while (this.#running) {
      const result = await this.#request('homeFeed', user.token, HOME_FEED_QUERY, {});
      // A failing request is retried after a pause, as a client would, not in a hot loop.
      if (!result) await sleep(100);
    }
  }

  /** One request; its record; the data on success, undefined on any failure. */
  async #request(op: Operation, token: string, query: string, variables: Record<string, unknown>): Promise<unknown> {
    const t0 = Date.now();
    const record = (ok: boolean, kind?: string, detail?: string) =>
      this.records.push({ op, t0, t1: Date.now(), ok, ...(kind ? { kind, detail: detail?.slice(0, 200) } : {}) });
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const err = error as Error & { cause?: { code?: string } };
      if (err.name === 'TimeoutError') record(false, 'TIMEOUT', `no answer within ${this.options.requestTimeoutMs} ms`);
      else record(false, 'TRANSPORT', `${err.message} ${err.cause?.code ?? ''}`.trim());
      if (op !== 'homeFeed') await sleep(100);
      return undefined;
    }
    let body: { data?: unknown; errors?: { message?: string; extensions?: { code?: string } }[] };
    try {
      body = JSON.parse(text);
    } catch {
      record(false, `HTTP ${response.status}`, text);
      if (op !== 'homeFeed') await sleep(100);
      return undefined;
    }
    if (body.errors?.length || !body.data) {
      const first = body.errors?.[0];
      record(false, first?.extensions?.code ?? `HTTP ${response.status}`, first?.message ?? text);
      if (op !== 'homeFeed') await sleep(100);
      return undefined;
    }
    record(true);
    return body.data;
  }
}
