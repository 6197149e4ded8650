import { describe, expect, it } from 'vitest';
import { BrokerAddresses, splitAmqpUrls } from '../src/broker-addresses.ts';

describe('BrokerAddresses', () => {
  it('splits a comma-separated AMQP_URL, ignoring blanks and spaces', () => {
    expect(splitAmqpUrls(' amqp://a:5672/v , amqp://b:5673/v,')).toEqual(['amqp://a:5672/v', 'amqp://b:5673/v']);
  });

  it('describes the current node through getters amqplib reads on each attempt, and moves round robin', () => {
    const addresses = new BrokerAddresses('amqp://u%40x:p%2Fw@h1:5701/t_1,amqps://h2/%2F?heartbeat=5', 0);
    const options = addresses.connectOptions;
    expect({ ...options }).toMatchObject({
      protocol: 'amqp',
      hostname: 'h1',
      port: 5701,
      username: 'u@x',
      password: 'p/w',
      vhost: 't_1',
    });
    expect(addresses.current).toBe('amqp://***@h1:5701/t_1');
    addresses.next();
    // The same object now describes the second node; no credentials given → amqplib's guest/guest.
    expect(options.hostname).toBe('h2');
    expect(options.port).toBe(5671);
    expect(options.protocol).toBe('amqps');
    expect(options.vhost).toBe('%2F');
    expect(options.heartbeat).toBe(5);
    expect(options.username).toBeUndefined();
    addresses.next();
    expect(options.hostname).toBe('h1');
  });

  it('starts each process at a random node so servers spread over the cluster', () => {
    const starts = new Set(
      Array.from({ length: 60 }, () => new BrokerAddresses('amqp://a,amqp://b,amqp://c').connectOptions.hostname),
    );
    expect(starts).toEqual(new Set(['a', 'b', 'c']));
  });

  it('rejects what is not an amqp URL, without echoing credentials', () => {
    expect(() => new BrokerAddresses('amqp://a,http://user:secret@b')).toThrow(/amqp:\/\/ or amqps:\/\/.*\*\*\*@b/);
    expect(() => new BrokerAddresses(' , ')).toThrow(/no AMQP URL/);
  });
});
