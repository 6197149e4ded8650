import { randomBytes } from 'node:crypto';
import { generateIdentityKeys, generateSecret } from '@micropost/auth';
import { MongoClient } from 'mongodb';
import { inject } from 'vitest';
import { RabbitAdmin } from '@micropost/infra';
// Type-only: brings the ProvidedContext augmentation for inject('micropostServices').
import type {} from './provided.ts';

export interface TestServices {
  mongoUrl: string;
  /** Unique per call, e.g. `t_0a1b2c3d4e_`; subgraph databases are `<dbPrefix><subgraph>`. */
  dbPrefix: string;
  /** `amqp://guest:guest@127.0.0.1:<port>/<fresh vhost, url-encoded>` */
  amqpUrl: string;
  vhost: string;
  /** Management API of the test broker. */
  rabbit: RabbitAdmin;
  /**
   * Environment for parseEnv of any process: MONGO_URL, MONGO_DB_PREFIX, AMQP_URL, JWT_SECRET,
   * INTERNAL_PRIVATE_KEY and INTERNAL_PUBLIC_KEY (a fresh Ed25519 pair per call), LOG_LEVEL ('silent' unless TEST_LOG_LEVEL set), plus extra.
   */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Drops every database whose name starts with dbPrefix and deletes the vhost. */
  dispose(): Promise<void>;
}

/** The broker URL with its path replaced by `vhost`. */
export function amqpUrlForVhost(amqpUrl: string, vhost: string): string {
  const url = new URL(amqpUrl);
  url.pathname = `/${encodeURIComponent(vhost)}`;
  return url.toString();
}

/**
 * Fresh, isolated resources on the run's shared FerretDB and RabbitMQ, for `beforeAll` of a test
 * file: its own database prefix, its own vhost, its own secrets. Call dispose() in `afterAll`.
 */
export async function createTestServices(): Promise<TestServices> {
  const { mongoUrl, amqpUrl: brokerUrl, managementUrl } = inject('micropostServices');
  const id = randomBytes(5).toString('hex');
  const dbPrefix = `t_${id}_`;
  const vhost = `t_${id}`;
  const rabbit = new RabbitAdmin(managementUrl);
  await rabbit.createVhost(vhost);
  const amqpUrl = amqpUrlForVhost(brokerUrl, vhost);
  const keys = generateIdentityKeys();
  const secrets = {
    JWT_SECRET: generateSecret(),
    INTERNAL_PRIVATE_KEY: keys.privateKey,
    INTERNAL_PUBLIC_KEY: keys.publicKey,
  };

  return {
    mongoUrl,
    dbPrefix,
    amqpUrl,
    vhost,
    rabbit,
    env: (extra = {}) => ({
      MONGO_URL: mongoUrl,
      MONGO_DB_PREFIX: dbPrefix,
      AMQP_URL: amqpUrl,
      ...secrets,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL || 'silent',
      ...extra,
    }),
    dispose: async () => {
      const client = new MongoClient(mongoUrl);
      try {
        const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
        for (const { name } of databases) {
          if (name.startsWith(dbPrefix)) await client.db(name).dropDatabase();
        }
      } finally {
        await client.close();
      }
      await rabbit.deleteVhost(vhost);
    },
  };
}
