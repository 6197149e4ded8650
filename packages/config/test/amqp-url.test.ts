import { describe, expect, it } from 'vitest';
import { amqpEnv, parseEnv } from '../src/index.ts';

describe('AMQP_URL', () => {
  it('takes one URL, or every node of a cluster separated by commas', () => {
    for (const url of ['amqp://h:5672/v', 'amqps://u:p@a:5671,amqps://u:p@b:5671', 'amqp://a, amqp://b,amqp://c/%2F'])
      expect(parseEnv(amqpEnv, { AMQP_URL: url }).AMQP_URL).toBe(url);
  });

  it('refuses a list with something that is not an amqp URL, or an empty entry', () => {
    for (const url of ['http://h', 'amqp://a,http://b', 'amqp://a,,amqp://b', 'amqp://a,'])
      expect(() => parseEnv(amqpEnv, { AMQP_URL: url })).toThrow(/AMQP_URL: must be an amqp:\/\/ or amqps:\/\/ URL/);
  });
});
