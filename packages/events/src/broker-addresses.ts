import type { Options } from 'amqplib';

/** `AMQP_URL` may list every node of a cluster, comma-separated; each entry is a full amqp(s):// URL. */
export function splitAmqpUrls(value: string): string[] {
  return value
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
}

/**
 * The nodes a bus may connect to, as one amqplib connect option whose fields always describe the
 * current node. amqplib's recovery reads them afresh on every attempt, so moving on (`next()`)
 * after a lost connection or a failed attempt makes that same recovery loop fail over to the next
 * node, round robin. Each process starts at a random node so that servers spread over the cluster.
 */
export class BrokerAddresses {
  readonly #nodes: Options.Connect[];
  readonly #urls: string[];
  #index: number;
  readonly connectOptions: Options.Connect;

  constructor(value: string, start = Math.floor(Math.random() * splitAmqpUrls(value).length)) {
    this.#urls = splitAmqpUrls(value);
    if (this.#urls.length === 0) throw new Error('no AMQP URL given');
    this.#nodes = this.#urls.map(toConnectOptions);
    this.#index = start % this.#nodes.length;
    const current = () => this.#nodes[this.#index]!;
    // Getters, not a copy: amqplib reads these fields on each connection attempt.
    this.connectOptions = Object.defineProperties({} as Options.Connect, {
      ...Object.fromEntries(
        (
          [
            'protocol',
            'hostname',
            'port',
            'username',
            'password',
            'vhost',
            'heartbeat',
            'frameMax',
            'channelMax',
            'locale',
          ] as const
        ).map((field) => [field, { enumerable: true, get: () => current()[field] }]),
      ),
    });
  }

  get size(): number {
    return this.#nodes.length;
  }

  /** The node in use (or tried next), without its credentials. */
  get current(): string {
    return redact(this.#urls[this.#index]!);
  }

  /** Every node, without credentials, for messages. */
  describe(): string {
    return this.#urls.map(redact).join(',');
  }

  next(): void {
    this.#index = (this.#index + 1) % this.#nodes.length;
  }
}

/** The fields amqplib would take from the URL string itself (same defaults, same vhost handling). */
function toConnectOptions(url: string): Options.Connect {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not a URL: ${redact(url)}`);
  }
  const protocol = parsed.protocol.replace(/:$/, '');
  if (protocol !== 'amqp' && protocol !== 'amqps') throw new Error(`not an amqp:// or amqps:// URL: ${redact(url)}`);
  const query = parsed.searchParams;
  const int = (name: string) => (query.has(name) ? Number.parseInt(query.get(name)!, 10) : undefined);
  const options: Options.Connect = {
    protocol,
    hostname: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port === '' ? (protocol === 'amqp' ? 5672 : 5671) : Number(parsed.port),
    // amqplib unescapes the vhost itself, as it does for a URL string.
    vhost: parsed.pathname.slice(1),
  };
  // Without credentials amqplib uses guest/guest, as for a URL string without them.
  if (parsed.username !== '' || parsed.password !== '') {
    options.username = decodeURIComponent(parsed.username);
    options.password = decodeURIComponent(parsed.password);
  }
  const heartbeat = int('heartbeat');
  if (heartbeat !== undefined) options.heartbeat = heartbeat;
  const frameMax = int('frameMax');
  if (frameMax !== undefined) options.frameMax = frameMax;
  const channelMax = int('channelMax');
  if (channelMax !== undefined) options.channelMax = channelMax;
  const locale = query.get('locale');
  if (locale !== null) options.locale = locale;
  return options;
}

export function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
