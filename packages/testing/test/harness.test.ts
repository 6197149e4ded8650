import { identityPublicKey } from '@micropost/auth';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServices, waitFor, type TestServices } from '../src/index.ts';

describe('test harness', () => {
  let services: TestServices;
  let disposed = false;

  beforeAll(async () => {
    services = await createTestServices();
  });
  afterAll(async () => {
    if (!disposed) await services.dispose();
  });

  it('hands out an isolated prefix, vhost and environment', () => {
    expect(services.dbPrefix).toMatch(/^t_[0-9a-f]{10}_$/);
    expect(services.amqpUrl).toBe(
      `${services.amqpUrl.slice(0, services.amqpUrl.lastIndexOf('/'))}/${encodeURIComponent(services.vhost)}`,
    );
    const env = services.env({ EXTRA: 'yes' });
    expect(env).toMatchObject({
      MONGO_URL: services.mongoUrl,
      MONGO_DB_PREFIX: services.dbPrefix,
      AMQP_URL: services.amqpUrl,
      EXTRA: 'yes',
    });
    expect(env.INTERNAL_PRIVATE_KEY).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(identityPublicKey(env.INTERNAL_PRIVATE_KEY!)).toBe(env.INTERNAL_PUBLIC_KEY);
    expect(env.JWT_SECRET).toMatch(/^[A-Za-z0-9]{48}$/);
  });

  it('dispose drops the prefixed databases and deletes the vhost', async () => {
    const client = new MongoClient(services.mongoUrl);
    const databaseNames = async () =>
      (await client.db('admin').admin().listDatabases({ nameOnly: true })).databases.map((db) => db.name);
    try {
      const name = `${services.dbPrefix}users`;
      await client.db(name).collection('probe').insertOne({ hello: 'world' });
      expect(await databaseNames()).toContain(name);
      expect(await services.rabbit.listVhosts()).toContain(services.vhost);

      await services.dispose();
      disposed = true;

      expect(await databaseNames()).not.toContain(name);
      expect(await services.rabbit.listVhosts()).not.toContain(services.vhost);
    } finally {
      await client.close();
    }
  });

  it('waitFor returns the first truthy probe result', async () => {
    let calls = 0;
    await expect(waitFor(async () => ++calls >= 3 && calls, { message: 'never' })).resolves.toBe(3);
  });

  it('waitFor keeps waiting through null, 0 and undefined unless told they are done', async () => {
    const values = [undefined, null, 0, false, 'found'];
    let call = 0;
    await expect(waitFor(async () => values[call++], { intervalMs: 1, message: 'never' })).resolves.toBe('found');
    let count = 3;
    await expect(
      waitFor(async () => --count, { intervalMs: 1, message: 'never', until: (value) => value === 0 }),
    ).resolves.toBe(0);
  });

  it('waitFor times out with the message', async () => {
    await expect(
      waitFor(async () => false, { timeoutMs: 200, intervalMs: 20, message: 'the thing never happened' }),
    ).rejects.toThrow(/the thing never happened/);
  });
});
