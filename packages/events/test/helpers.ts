import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { TestServices } from '@micropost/testing';

type RabbitAdmin = TestServices['rabbit'];

/** A logger whose JSON lines a test can inspect; prints nothing unless TEST_LOG_LEVEL is set. */
export function captureLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n'))
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      if (process.env.TEST_LOG_LEVEL) process.stderr.write(chunk);
      done();
    },
  });
  return { logger: pino({ level: process.env.TEST_LOG_LEVEL || 'debug' }, sink), lines: () => lines };
}

export const uniqueName = (prefix: string) => `${prefix}.${randomBytes(4).toString('hex')}`;

/** Host and port of an amqp:// URL (for pointing a TCP proxy at it). */
export function hostPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 5672) };
}

/**
 * Force-closes every client connection of `vhost` through the management API, as an operator
 * (or a broker restart) would. The harness's RabbitAdmin has no call for it, so it uses fetch.
 */
export async function closeConnections(rabbit: RabbitAdmin, vhost: string): Promise<number> {
  const api = rabbit.managementUrl.replace(/\/$/, '');
  const headers = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` };
  const response = await fetch(`${api}/api/vhosts/${encodeURIComponent(vhost)}/connections`, { headers });
  if (!response.ok) throw new Error(`listing connections failed: ${response.status}`);
  const connections = (await response.json()) as { name: string }[];
  for (const { name } of connections) {
    const closed = await fetch(`${api}/api/connections/${encodeURIComponent(name)}`, {
      method: 'DELETE',
      headers: { ...headers, 'x-reason': 'test: forced close' },
    });
    if (!closed.ok && closed.status !== 404) throw new Error(`closing ${name} failed: ${closed.status}`);
  }
  return connections.length;
}
