import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { HAPROXY_CONFIG, repoRoot } from '@micropost/infra';

interface Service {
  image?: string;
  build?: string;
  command?: string | string[];
  restart?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  entrypoint?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

// docker-compose.yml cannot run on machines without Docker, so check what it promises instead.
const compose = parse(readFileSync(`${repoRoot}/docker-compose.yml`, 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const { services } = compose;

/** `${NAME:?message}` as compose writes a variable that must be set (the yaml parser keeps it as text). */
const requiredVariable = (name: string) => expect.stringMatching(new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`));

describe('docker-compose.yml', () => {
  it('describes the production topology', () => {
    expect(Object.keys(services).sort()).toEqual([
      'balancer',
      'mongo-init',
      'mongo1',
      'mongo2',
      'mongo3',
      'rabbitmq',
      'server-a',
      'server-b',
    ]);
  });

  it('gives every long-running service a health check and a restart policy', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name === 'mongo-init') continue;
      expect(service.healthcheck?.test, name).toBeDefined();
      expect(service.restart, name).toBe('unless-stopped');
    }
  });

  it('runs MongoDB as a three-member replica set with authentication, initiated once', () => {
    for (const name of ['mongo1', 'mongo2', 'mongo3']) {
      expect(services[name]!.entrypoint!.join(' ')).toContain('mongod --replSet rs0 --bind_ip_all --keyFile');
      expect(services[name]!.environment).toMatchObject({
        MONGO_INITDB_ROOT_USERNAME: 'root',
        MONGO_INITDB_ROOT_PASSWORD: requiredVariable('MONGO_ROOT_PASSWORD'),
        MONGO_REPLICA_SET_KEY: requiredVariable('MONGO_REPLICA_SET_KEY'),
      });
    }
    const init = JSON.stringify(services['mongo-init']!.command);
    for (const host of ['mongo1:27017', 'mongo2:27017', 'mongo3:27017']) expect(init).toContain(host);
    expect(init).toContain('rs.initiate');
    expect(Object.keys(services['mongo-init']!.depends_on!).sort()).toEqual(['mongo1', 'mongo2', 'mongo3']);
  });

  it('runs RabbitMQ with its own user, and publishes nothing but the balancer', () => {
    expect(services.rabbitmq!.environment).toEqual({
      RABBITMQ_DEFAULT_USER: 'micropost',
      RABBITMQ_DEFAULT_PASS: requiredVariable('RABBITMQ_PASSWORD'),
    });
    for (const [name, service] of Object.entries(services))
      if (name !== 'balancer') expect(service.ports, `${name} publishes a port`).toBeUndefined();
  });

  it('takes every credential from the environment, with no default that would work', () => {
    const text = readFileSync(`${repoRoot}/docker-compose.yml`, 'utf8');
    for (const variable of [
      'JWT_SECRET',
      'INTERNAL_PRIVATE_KEY',
      'INTERNAL_PUBLIC_KEY',
      'MONGO_ROOT_PASSWORD',
      'MONGO_REPLICA_SET_KEY',
      'RABBITMQ_PASSWORD',
    ])
      expect(text).toContain(`\${${variable}:?`);
    // No `${VAR:-default}` / `${VAR-default}` anywhere, and no well-known account.
    expect(text).not.toMatch(/\$\{[A-Z_]+:?-/);
    expect(text).not.toContain('guest');
  });

  it('gives both servers everything they need to start, after their dependencies are ready', () => {
    for (const name of ['server-a', 'server-b']) {
      const server = services[name]!;
      expect(server.build, name).toBe('.');
      expect(server.environment, name).toMatchObject({
        MONGO_URL: expect.stringMatching(
          /^mongodb:\/\/root:\$\{MONGO_ROOT_PASSWORD:\?[^}]+\}@mongo1:27017,mongo2:27017,mongo3:27017\/\?replicaSet=rs0&authSource=admin$/,
        ),
        AMQP_URL: expect.stringMatching(/^amqp:\/\/micropost:\$\{RABBITMQ_PASSWORD:\?[^}]+\}@rabbitmq:5672$/),
        JWT_SECRET: requiredVariable('JWT_SECRET'),
        INTERNAL_PRIVATE_KEY: requiredVariable('INTERNAL_PRIVATE_KEY'),
        INTERNAL_PUBLIC_KEY: requiredVariable('INTERNAL_PUBLIC_KEY'),
        HOST: '0.0.0.0',
        PORT: '4000',
        NODE_ENV: 'production',
        TRUSTED_PROXIES: '172.28.0.10',
      });
      expect(server.depends_on).toEqual({
        'mongo-init': { condition: 'service_completed_successfully' },
        rabbitmq: { condition: 'service_healthy' },
      });
      expect(JSON.stringify(server.healthcheck!.test)).toContain('127.0.0.1:4000/health');
    }
  });

  it('publishes the balancer on 4000 in front of both servers, with the config npm start uses', () => {
    const balancer = services.balancer!;
    expect(balancer.ports).toEqual(['4000:4000']);
    expect(balancer.volumes).toEqual([`./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro`]);
    expect(HAPROXY_CONFIG).toBe(`${repoRoot}/deploy/haproxy.cfg`);
    expect(balancer.environment).toEqual({
      BALANCER_BIND: ':4000',
      SERVER_A: 'server-a:4000',
      SERVER_B: 'server-b:4000',
    });
    expect(Object.keys(balancer.depends_on!).sort()).toEqual(['server-a', 'server-b']);
    // The servers trust X-Forwarded-For from this address alone.
    expect(
      (balancer as { networks?: Record<string, { ipv4_address: string }> }).networks?.micropost?.ipv4_address,
    ).toBe('172.28.0.10');
    const config = readFileSync(HAPROXY_CONFIG, 'utf8');
    for (const line of [
      'option httpchk GET /ready',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: HAProxy's own environment syntax.
      'server a "${SERVER_A}" check',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: HAProxy's own environment syntax.
      'server b "${SERVER_B}" check',
      'timeout tunnel',
    ])
      expect(config).toContain(line);
  });
});
