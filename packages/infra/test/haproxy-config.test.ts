import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findCommand,
  freePort,
  HAPROXY_CONFIG,
  haproxyConfig,
  poll,
  type RunningBalancer,
  startBalancer,
} from '../src/index.ts';

/** The `server` lines of each backend of a generated configuration. */
function backends(config: string): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  let current: string[] | undefined;
  for (const line of config.split('\n').map((text) => text.replace(/#.*/, '').trim())) {
    const backend = /^backend (\S+)$/.exec(line);
    if (backend) found[backend[1]!] = current = [];
    else if (/^(frontend|defaults|global)\b/.test(line)) current = undefined;
    else if (current && line.startsWith('server ')) current.push(line);
  }
  return found;
}

const dir = mkdtempSync(join(tmpdir(), 'micropost-haproxy-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('haproxyConfig', () => {
  it('is what deploy/haproxy.cfg holds for two servers (`npm run generate` rewrites the file)', () => {
    expect(readFileSync(HAPROXY_CONFIG, 'utf8')).toBe(haproxyConfig({ servers: 2 }));
  });

  it('lists every server, by letter and address variable, in the ready and the alive backend', () => {
    const lines = [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: HAProxy's own environment syntax.
      'server a "${SERVER_A}" check',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: HAProxy's own environment syntax.
      'server b "${SERVER_B}" check',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: HAProxy's own environment syntax.
      'server c "${SERVER_C}" check',
    ];
    expect(backends(haproxyConfig({ servers: 3 }))).toEqual({ servers: lines, alive: lines });
    expect(backends(haproxyConfig({ servers: 1 })).servers).toEqual(lines.slice(0, 1));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: HAProxy's own environment syntax.
    expect(backends(haproxyConfig({ servers: 26 })).alive!.at(-1)).toBe('server z "${SERVER_Z}" check');
  });

  it('refuses a number of servers it cannot name', () => {
    for (const servers of [0, 27, 1.5]) expect(() => haproxyConfig({ servers })).toThrow(/takes 1 to 26 servers/);
  });

  it.skipIf(findCommand('haproxy') === undefined)('is a configuration HAProxy accepts, for 1, 3 and 8 servers', () => {
    for (const servers of [1, 3, 8]) {
      const env: NodeJS.ProcessEnv = { ...process.env, BALANCER_BIND: '127.0.0.1:1' };
      for (let index = 0; index < servers; index++)
        env[`SERVER_${String.fromCharCode(65 + index)}`] = `127.0.0.1:${2 + index}`;
      const file = join(dir, `haproxy-${servers}.cfg`);
      writeFileSync(file, haproxyConfig({ servers }));
      const check = spawnSync(findCommand('haproxy')!, ['-c', '-f', file], {
        env,
        encoding: 'utf8',
      });
      expect(check.status, `${servers} servers: ${check.stdout}${check.stderr}`).toBe(0);
    }
  });
});

// The generated configuration at work: HAProxy in front of three servers sends requests to each.
describe.skipIf(findCommand('haproxy') === undefined)('startBalancer over three servers', () => {
  const servers: http.Server[] = [];
  let balancer: RunningBalancer | undefined;
  afterAll(async () => {
    await balancer?.stop();
    for (const server of servers) server.close();
  });

  it('balances over all three', async () => {
    const addresses: string[] = [];
    for (const name of ['one', 'two', 'three']) {
      const server = http.createServer((_request, response) => response.end(name));
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      addresses.push(`127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
    balancer = await startBalancer({ port: await freePort(), servers: addresses, log: () => {} });
    const served = new Set<string>();
    await poll(
      async () => {
        served.add(await (await fetch(`http://127.0.0.1:${balancer!.port}/`)).text());
        return served.size === 3;
      },
      { timeoutMs: 10_000, intervalMs: 20, message: () => `only ${[...served].join(', ')} answered` },
    );
    expect([...served].sort()).toEqual(['one', 'three', 'two']);
  });
});
