/** A queue as the management API lists it; only the fields tests rely on are typed. */
export interface QueueInfo {
  name: string;
  vhost: string;
  durable: boolean;
  /** classic, quorum or stream. */
  type?: string;
  auto_delete: boolean;
  arguments: Record<string, unknown>;
  /** Counters refresh every collect_statistics_interval (500 ms on test nodes); absent until the first refresh. */
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
  [field: string]: unknown;
}

export interface BindingInfo {
  source: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
  routing_key: string;
  arguments: Record<string, unknown>;
  vhost: string;
}

export interface PeekedMessage {
  payload: string;
  payload_encoding: 'string' | 'base64';
  payload_bytes: number;
  routing_key: string;
  exchange: string;
  redelivered: boolean;
  message_count: number;
  properties: Record<string, unknown>;
}

/** Thin client for the RabbitMQ management HTTP API, enough for tests to look inside the broker. */
export class RabbitAdmin {
  private readonly authorization: string;
  private readonly username: string;

  constructor(
    /** e.g. `http://127.0.0.1:15672` */
    readonly managementUrl: string,
    { username = 'guest', password = 'guest' }: { username?: string; password?: string } = {},
  ) {
    this.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    this.username = username;
  }

  /** Creates the vhost (idempotent) and grants our user full permissions on it. */
  async createVhost(name: string): Promise<void> {
    await this.request('PUT', `/api/vhosts/${enc(name)}`, {});
    await this.request('PUT', `/api/permissions/${enc(name)}/${enc(this.username)}`, {
      configure: '.*',
      write: '.*',
      read: '.*',
    });
  }

  /** Deletes the vhost with everything in it; a missing vhost is not an error. */
  async deleteVhost(name: string): Promise<void> {
    await this.request('DELETE', `/api/vhosts/${enc(name)}`, undefined, [404]);
  }

  async listVhosts(): Promise<string[]> {
    const vhosts = (await this.request('GET', '/api/vhosts')) as { name: string }[];
    return vhosts.map((vhost) => vhost.name);
  }

  async listQueues(vhost: string): Promise<QueueInfo[]> {
    return (await this.request('GET', `/api/queues/${enc(vhost)}`)) as QueueInfo[];
  }

  /** Peeks at up to `count` messages: they are fetched and requeued (ackmode ack_requeue_true). */
  async getMessages(vhost: string, queue: string, count: number): Promise<PeekedMessage[]> {
    return (await this.request('POST', `/api/queues/${enc(vhost)}/${enc(queue)}/get`, {
      count,
      ackmode: 'ack_requeue_true',
      encoding: 'auto',
    })) as PeekedMessage[];
  }

  async listBindings(vhost: string): Promise<BindingInfo[]> {
    return (await this.request('GET', `/api/bindings/${enc(vhost)}`)) as BindingInfo[];
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
    tolerated: readonly number[] = [],
  ): Promise<unknown> {
    const response = await fetch(`${this.managementUrl.replace(/\/$/, '')}${path}`, {
      method,
      headers: {
        authorization: this.authorization,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    if (!response.ok && !tolerated.includes(response.status)) {
      throw new Error(`RabbitMQ management ${method} ${path} failed: ${response.status} ${text}`);
    }
    return text === '' ? undefined : JSON.parse(text);
  }
}

/** Path segments are percent-encoded; the default vhost `/` becomes `%2F` as the API expects. */
const enc = (segment: string) => encodeURIComponent(segment);
