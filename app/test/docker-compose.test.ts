import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { amqpEnv, parseEnv } from '@micropost/config';
import { BrokerAddresses } from '@micropost/events';
import { HAPROXY_CONFIG, repoRoot } from '@micropost/infra';

interface Service {
  image?: string;
  hostname?: string;
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
      'rabbitmq1',
      'rabbitmq2',
      'rabbitmq3',
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

  it('runs RabbitMQ as a three-node cluster with its own user and a shared cookie, and publishes nothing but the balancer', () => {
    const rabbitmq = ['rabbitmq1', 'rabbitmq2', 'rabbitmq3'];
    const config = readFileSync(`${repoRoot}/deploy/rabbitmq.conf`, 'utf8');
    expect(config).toMatch(/^cluster_formation\.peer_discovery_backend = classic_config$/m);
    rabbitmq.forEach((name, i) => {
      const service = services[name]!;
      expect(service.hostname).toBe(name);
      expect(service.environment).toEqual({
        RABBITMQ_DEFAULT_USER: 'micropost',
        RABBITMQ_DEFAULT_PASS: requiredVariable('RABBITMQ_PASSWORD'),
        ERLANG_COOKIE: requiredVariable('RABBITMQ_ERLANG_COOKIE'),
        RABBITMQ_NODENAME: `rabbit@${name}`,
      });
      // The cookie file is written before RabbitMQ starts, readable by its owner only.
      expect(service.entrypoint!.join(' ')).toMatch(
        /ERLANG_COOKIE.*\.erlang\.cookie.*chmod 400.*exec docker-entrypoint\.sh rabbitmq-server/s,
      );
      expect(service.volumes).toEqual([
        `${name}:/var/lib/rabbitmq`,
        './deploy/rabbitmq.conf:/etc/rabbitmq/conf.d/20-micropost.conf:ro',
      ]);
      // Every node is listed for peer discovery under the name it runs as.
      expect(config).toContain(`cluster_formation.classic_config.nodes.${i + 1} = rabbit@${name}\n`);
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
      'RABBITMQ_ERLANG_COOKIE',
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
        // Every node of the cluster, so that the server fails over.
        AMQP_URL: expect.stringMatching(
          /^amqp:\/\/micropost:\$\{RABBITMQ_PASSWORD:\?[^}]+\}@rabbitmq1:5672,amqp:\/\/micropost:\$\{RABBITMQ_PASSWORD:\?[^}]+\}@rabbitmq2:5672,amqp:\/\/micropost:\$\{RABBITMQ_PASSWORD:\?[^}]+\}@rabbitmq3:5672$/,
        ),
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
        rabbitmq1: { condition: 'service_healthy' },
        rabbitmq2: { condition: 'service_healthy' },
        rabbitmq3: { condition: 'service_healthy' },
      });
      expect(JSON.stringify(server.healthcheck!.test)).toContain('127.0.0.1:4000/health');
      // The list passes the servers' own validation and names all three nodes.
      const amqpUrl = server.environment!.AMQP_URL!.replaceAll(/\$\{[^}]+\}/g, 'c0ffee');
      expect(parseEnv(amqpEnv, { AMQP_URL: amqpUrl }).AMQP_URL).toBe(amqpUrl);
      expect(new BrokerAddresses(amqpUrl, 0).describe()).toBe(
        'amqp://***@rabbitmq1:5672,amqp://***@rabbitmq2:5672,amqp://***@rabbitmq3:5672',
      );
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
