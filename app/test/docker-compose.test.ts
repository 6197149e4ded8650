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
  profiles?: string[];
  networks?: string[] | Record<string, { ipv4_address: string }>;
}

// docker-compose.yml cannot run on machines without Docker, so check what it promises instead.
const compose = parse(readFileSync(`${repoRoot}/docker-compose.yml`, 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const { services: all } = compose;
/** The default topology: what `docker compose up` starts. */
const services = Object.fromEntries(Object.entries(all).filter(([, service]) => service.profiles === undefined));
/** The `sharded` profile's own services. */
const sharded = Object.fromEntries(Object.entries(all).filter(([, service]) => service.profiles?.includes('sharded')));

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
    for (const [name, service] of Object.entries(all)) {
      if (name === 'mongo-init' || name === 'shard-keys') continue;
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
    for (const [name, service] of Object.entries(all))
      if (name !== 'balancer' && name !== 'sharded-balancer')
        expect(service.ports, `${name} publishes a port`).toBeUndefined();
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

  describe('profile `sharded`', () => {
    const members = {
      cfg: ['cfg1', 'cfg2', 'cfg3'],
      shard1: ['shard1-a', 'shard1-b', 'shard1-c'],
      shard2: ['shard2-a', 'shard2-b', 'shard2-c'],
    };

    it('adds a sharded cluster, a mongos per server, the shard script and its own servers', () => {
      expect(Object.keys(sharded).sort()).toEqual(
        [
          ...Object.values(members).flat(),
          'mongos-a',
          'mongos-b',
          'shard-keys',
          'sharded-balancer',
          'sharded-server-a',
          'sharded-server-b',
        ].sort(),
      );
      // Nothing else belongs to a profile: the default topology is untouched.
      expect(Object.keys(all).length).toBe(Object.keys(services).length + Object.keys(sharded).length);
    });

    it('runs a config server replica set and two shards of three members each, with authentication', () => {
      for (const [set, hosts] of Object.entries(members))
        hosts.forEach((host, i) => {
          const member = sharded[host]!;
          expect(member.entrypoint).toEqual(['bash', '/deploy/sharded-member.sh']);
          expect(member.volumes).toEqual(['./deploy/mongo:/deploy:ro', `${host}:/data/db`]);
          expect(member.environment).toMatchObject({
            ROLE: set === 'cfg' ? 'configsvr' : 'shardsvr',
            REPLICA_SET: set,
            MEMBERS: hosts.map((h) => `${h}:27017`).join(','),
            MONGO_ROOT_PASSWORD: requiredVariable('MONGO_ROOT_PASSWORD'),
            MONGO_REPLICA_SET_KEY: requiredVariable('MONGO_REPLICA_SET_KEY'),
          });
          // One member per set initiates it.
          expect(member.environment!.INITIATE, host).toBe(i === 0 ? 'yes' : undefined);
        });
      const script = readFileSync(`${repoRoot}/deploy/mongo/sharded-member.sh`, 'utf8');
      for (const line of ['rs.initiate', 'configsvr', '--replSet "$REPLICA_SET"', '--keyFile /tmp/replica.key'])
        expect(script).toContain(line);
    });

    it('gives each server its own mongos, the first of which adds both shards', () => {
      for (const name of ['mongos-a', 'mongos-b'])
        expect(sharded[name]!.environment).toMatchObject({
          CONFIG_DB: `cfg/${members.cfg.map((h) => `${h}:27017`).join(',')}`,
          MONGO_REPLICA_SET_KEY: requiredVariable('MONGO_REPLICA_SET_KEY'),
        });
      expect(sharded['mongos-a']!.environment!.SHARDS!.split(' ')).toEqual(
        ['shard1', 'shard2'].map((set) => `${set}/${members[set as 'shard1'].map((h) => `${h}:27017`).join(',')}`),
      );
      expect(Object.keys(sharded['mongos-a']!.depends_on!).sort()).toEqual(
        [...members.cfg, ...members.shard1, ...members.shard2].sort(),
      );
      expect(readFileSync(`${repoRoot}/deploy/mongo/mongos.sh`, 'utf8')).toContain('sh.addShard');
      expect(JSON.stringify(sharded['mongos-a']!.healthcheck!.test)).toContain('listShards');
    });

    it('runs the shard script once, before the servers, which each use their own mongos', () => {
      const script = sharded['shard-keys']!;
      expect(script.restart).toBe('no');
      expect(script.command).toEqual([
        'node',
        '--import',
        'tsx',
        'scripts/shard.ts',
        expect.stringMatching(
          /^mongodb:\/\/root:\$\{MONGO_ROOT_PASSWORD:\?[^}]+\}@mongos-a:27017\/\?authSource=admin$/,
        ),
      ]);
      for (const [name, mongos] of [
        ['sharded-server-a', 'mongos-a'],
        ['sharded-server-b', 'mongos-b'],
      ] as const) {
        const server = sharded[name]!;
        expect(server.build).toBe('.');
        expect(server.environment).toMatchObject({
          ...services['server-a']!.environment,
          MONGO_URL: expect.stringMatching(
            new RegExp(`^mongodb://root:\\$\\{MONGO_ROOT_PASSWORD:\\?[^}]+\\}@${mongos}:27017/\\?authSource=admin$`),
          ),
          TRUSTED_PROXIES: '172.28.0.11',
        });
        expect(server.depends_on).toMatchObject({
          'shard-keys': { condition: 'service_completed_successfully' },
          [mongos]: { condition: 'service_healthy' },
        });
      }
      const balancer = sharded['sharded-balancer']!;
      expect(balancer.environment).toMatchObject({
        SERVER_A: 'sharded-server-a:4000',
        SERVER_B: 'sharded-server-b:4000',
      });
      expect((balancer.networks as Record<string, { ipv4_address: string }>).micropost!.ipv4_address).toBe(
        '172.28.0.11',
      );
    });
  });
});
