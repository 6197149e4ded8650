import type http from 'node:http';
import { BlockList, isIP } from 'node:net';
import { commaList } from '@micropost/config';

/**
 * Which peers may tell the client's address in `X-Forwarded-For`: the balancer's. Entries are
 * addresses, CIDR ranges (`10.0.0.0/8`) or `loopback` (127.0.0.0/8 and ::1, where the local HAProxy
 * of `npm start` connects from). A request from any other peer is judged by its own address, so a
 * client cannot pick the address its limits are counted against by sending the header itself.
 */
export class TrustedProxies {
  readonly #list = new BlockList();

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      if (entry === 'loopback') {
        this.#list.addSubnet('127.0.0.0', 8, 'ipv4');
        this.#list.addAddress('::1', 'ipv6');
        continue;
      }
      const [address, prefix] = entry.split('/');
      const family = isIP(address ?? '');
      if (family === 0) throw new Error(`not an IP address or range: ${entry}`);
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) this.#list.addAddress(address!, type);
      else this.#list.addSubnet(address!, Number(prefix), type);
    }
  }

  /** Parses the comma-separated variable; null when an entry is not an address or range. */
  static parse(value: string): TrustedProxies | null {
    try {
      return new TrustedProxies(commaList(value));
    } catch {
      return null;
    }
  }

  has(address: string): boolean {
    const plain = unmapped(address);
    const family = isIP(plain);
    return family !== 0 && this.#list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * The client's address: the peer's own, unless the peer is a trusted proxy; then the rightmost
   * `X-Forwarded-For` entry that is not itself a trusted proxy (proxies append, so entries to its
   * left were written by whoever sent the request and prove nothing).
   */
  clientAddress(request: http.IncomingMessage): string {
    const peer = unmapped(request.socket.remoteAddress ?? 'unknown');
    if (!this.has(peer)) return peer;
    const header = request.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((hop) => unmapped(hop.trim()))
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (isIP(hop) === 0) return peer; // garbage in the header: count it against the proxy
      if (!this.has(hop)) return hop;
    }
    return hops[0] ?? peer;
  }
}

/** `::ffff:127.0.0.1` (an IPv4 peer on a dual-stack socket) as `127.0.0.1`. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
