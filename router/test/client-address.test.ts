import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { TrustedProxies } from '../src/limits/client-address.ts';

const request = (peer: string, forwardedFor?: string) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as http.IncomingMessage;

describe('TrustedProxies.clientAddress', () => {
  const loopback = TrustedProxies.parse('loopback')!;

  it('believes the balancer: the last entry HAProxy appended', () => {
    expect(loopback.clientAddress(request('127.0.0.1', '203.0.113.7'))).toBe('203.0.113.7');
    expect(loopback.clientAddress(request('::ffff:127.0.0.1', '203.0.113.7'))).toBe('203.0.113.7');
    expect(loopback.clientAddress(request('::1', '203.0.113.7'))).toBe('203.0.113.7');
  });

  it('ignores what a client wrote before the balancer appended the real address', () => {
    expect(loopback.clientAddress(request('127.0.0.1', '1.2.3.4, 203.0.113.7'))).toBe('203.0.113.7');
  });

  it('ignores X-Forwarded-For from a peer that is not trusted', () => {
    expect(loopback.clientAddress(request('198.51.100.9', '1.2.3.4'))).toBe('198.51.100.9');
    expect(loopback.clientAddress(request('::ffff:198.51.100.9', '127.0.0.1'))).toBe('198.51.100.9');
  });

  it('skips trusted hops from the right, and counts garbage against the proxy', () => {
    const chain = TrustedProxies.parse('10.0.0.0/8, loopback')!;
    expect(chain.clientAddress(request('127.0.0.1', '203.0.113.7, 10.1.2.3'))).toBe('203.0.113.7');
    expect(chain.clientAddress(request('10.0.0.5', 'not-an-ip'))).toBe('10.0.0.5');
    expect(chain.clientAddress(request('127.0.0.1'))).toBe('127.0.0.1');
  });

  it('refuses a list with something that is not an address or range', () => {
    expect(TrustedProxies.parse('loopback, example.com')).toBeNull();
    expect(TrustedProxies.parse('192.0.2.0/24, 2001:db8::/32')).not.toBeNull();
  });
});
