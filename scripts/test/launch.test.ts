import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareServices } from '@micropost/infra';
import { waitFor } from '@micropost/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { boxed, planLaunch, upBanner } from '../launch-plan.ts';
import { rabbitNodeCount, servers } from '../services.ts';
import { backoffDelay, supervise } from '../supervisor.ts';

const SERVERS = [
  { name: 'server-a', port: 4001 },
  { name: 'server-b', port: 4002 },
];

/** A machine whose PATH is one empty folder: no rabbitmq-server, no haproxy, maybe an apt-get. */
function simulatedMachine({ aptGet, isRoot }: { aptGet: boolean; isRoot: boolean }) {
  const bin = mkdtempSync(join(tmpdir(), 'micropost-machine-'));
  const aptLog = join(bin, 'apt.log');
  if (aptGet) {
    // Records its calls and "installs" a package by putting an executable of its name on PATH.
    writeFileSync(
      join(bin, 'apt-get'),
      `#!/bin/sh\necho "$*" >> "${aptLog}"\nif [ "$1" = install ]; then for pkg in "$@"; do ` +
        `case "$pkg" in -*|install) ;; *) printf '#!/bin/sh\\n' > "${bin}/$pkg"; /bin/chmod +x "${bin}/$pkg";; esac; done; fi\n`,
    );
    chmodSync(join(bin, 'apt-get'), 0o755);
  }
  return { machine: { path: bin, isRoot }, aptCalls: () => readFileSync(aptLog, 'utf8').trim().split('\n'), bin };
}

const cleanup: string[] = [];
afterEach(() => {
  for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('npm start prepares services as npm test does', () => {
  it('installs rabbitmq-server with apt-get when it is missing, and then runs every server', async () => {
    const { machine, aptCalls, bin } = simulatedMachine({ aptGet: true, isRoot: true });
    cleanup.push(bin);
    const prepared = await prepareServices({ externalDatabase: true, externalRabbitMQ: false, machine, log: () => {} });
    expect(prepared.rabbitmq).toEqual({ ok: true, how: 'rabbitmq-server installed' });
    expect(aptCalls()).toEqual(expect.arrayContaining(['update', 'install -y rabbitmq-server']));
    expect(planLaunch(SERVERS, prepared.rabbitmq)).toEqual({ servers: SERVERS });
  });

  it('refuses clearly where it cannot install: one server, and a boxed warning that says why', async () => {
    const { machine, bin } = simulatedMachine({ aptGet: false, isRoot: false });
    cleanup.push(bin);
    const prepared = await prepareServices({ externalDatabase: true, externalRabbitMQ: false, machine, log: () => {} });
    expect(prepared.rabbitmq.ok).toBe(false);
    const plan = planLaunch(SERVERS, prepared.rabbitmq);
    expect(plan.servers).toEqual([SERVERS[0]]);
    const box = boxed(plan.warning!);
    expect(box).toMatch(/^╔═+╗\n/);
    expect(box).toContain('NOT the full system');
    expect(box).toContain('rabbitmq-server is not installed and cannot be installed automatically');
    const widths = new Set(box.split('\n').map((line) => line.length));
    expect(widths.size).toBe(1);
  });

  it('says nothing is needed when the environment gives a broker', async () => {
    const { machine, bin } = simulatedMachine({ aptGet: false, isRoot: false });
    cleanup.push(bin);
    const prepared = await prepareServices({ externalDatabase: true, externalRabbitMQ: true, machine, log: () => {} });
    expect(prepared.rabbitmq.ok).toBe(true);
    expect(prepared.balancer.ok).toBe(false);
  });

  it('prints a banner that names only what runs', () => {
    const both = upBanner({ servers: SERVERS, balancerPort: 4000 });
    expect(both).toContain('http://localhost:4000/graphql');
    expect(both).toContain('HAProxy on 4000 over server-a and server-b');
    const three = upBanner({ servers: servers({ SERVERS: '3' }), balancerPort: 4000 });
    expect(three).toContain('HAProxy on 4000 over server-a, server-b and server-c');
    for (const port of [4001, 4002, 4003]) expect(three).toContain(`http://localhost:${port}/graphql`);
    const one = upBanner({ servers: [SERVERS[0]!], balancerPort: null });
    expect(one).not.toContain('server-b');
    expect(one).toContain('http://localhost:4001/graphql');
  });
});

describe('the servers npm start runs', () => {
  it('runs two by default, on 4001 and 4002', () => {
    expect(servers({})).toEqual(SERVERS);
  });

  it('runs SERVERS of them on consecutive ports from SERVER_PORT', () => {
    expect(servers({ SERVERS: '4', SERVER_PORT: '5001', BALANCER_PORT: '5000' })).toEqual([
      { name: 'server-a', port: 5001 },
      { name: 'server-b', port: 5002 },
      { name: 'server-c', port: 5003 },
      { name: 'server-d', port: 5004 },
    ]);
  });

  it('refuses a bad count, a port range that overflows or takes the balancer’s port, and the old variables', () => {
    for (const count of ['0', '27', '2.5', 'two'])
      expect(() => servers({ SERVERS: count }), count).toThrow(/^SERVERS must be a number of servers from 1 to 26/);
    expect(() => servers({ SERVERS: '3', SERVER_PORT: '65534' })).toThrow(/no room for 3 servers/);
    expect(() => servers({ SERVERS: '3', SERVER_PORT: '3999' })).toThrow(/BALANCER_PORT 4000 is one of the servers/);
    expect(() => servers({ SERVER_B_PORT: '4005' })).toThrow(/SERVER_B_PORT is gone: set SERVER_PORT/);
  });
});

describe('RABBITMQ_NODES', () => {
  it('is one node unless set, and refuses what is not a small whole number', () => {
    expect(rabbitNodeCount({})).toBe(1);
    expect(rabbitNodeCount({ RABBITMQ_NODES: ' ' })).toBe(1);
    expect(rabbitNodeCount({ RABBITMQ_NODES: '3' })).toBe(3);
    for (const bad of ['0', '2.5', 'three', '-1', '8'])
      expect(() => rabbitNodeCount({ RABBITMQ_NODES: bad })).toThrow(
        /RABBITMQ_NODES must be a whole number from 1 to 7/,
      );
  });
});

describe('supervise', () => {
  it('doubles the delay while a process keeps dying, up to the maximum', () => {
    const backoff = { initialMs: 1000, maxMs: 5000, resetAfterMs: 60_000 };
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, backoff))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it('starts a process again after it dies, with growing delays, until stopped', async () => {
    const exits: number[] = [];
    const server = supervise({
      start: () => spawn(process.execPath, ['-e', 'setTimeout(() => process.exit(3), 20)'], { stdio: 'ignore' }),
      onExit: ({ code, restartInMs }) => {
        expect(code).toBe(3);
        exits.push(restartInMs);
      },
      backoff: { initialMs: 50, maxMs: 200, resetAfterMs: 60_000 },
    });
    try {
      await waitFor(async () => (server.restarts >= 3 ? server.restarts : undefined), {
        timeoutMs: 15_000,
        message: 'the process was not restarted three times',
      });
      expect(exits.slice(0, 3)).toEqual([50, 100, 200]);
    } finally {
      await server.stop();
    }
    // Stopped means stopped: no child, no restart pending.
    expect(server.state.phase).toBe('stopped');
  });
});
