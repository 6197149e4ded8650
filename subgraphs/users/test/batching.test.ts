import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, type CommandStartedEvent } from 'mongodb';
import { AccessTokens } from '@micropost/auth';
import { createLogger } from '@micropost/logger';
import { createTestServices, type TestServices } from '@micropost/testing';
import { createUsersContext } from '../src/context.ts';
import { UserStore } from '../src/store.ts';

let services: TestServices;
let client: MongoClient;
const finds: CommandStartedEvent[] = [];

beforeAll(async () => {
  services = await createTestServices();
  client = new MongoClient(services.mongoUrl, { monitorCommands: true });
  client.on('commandStarted', (event) => event.commandName === 'find' && finds.push(event));
});
afterAll(async () => {
  await client?.close();
  await services?.dispose();
});

describe('User entity references', () => {
  it('load a whole batch of ids with one query', async () => {
    const store = await UserStore.open(client.db(`${services.dbPrefix}users`), () => {});
    const users = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.create({ handle: `batch_${i}`, displayName: `B${i}`, passwordHash: 'x' }, 'test'),
      ),
    );
    const context = createUsersContext(
      { viewer: null, requestId: 'r', logger: createLogger('test', 'silent') },
      store,
      new AccessTokens('s'.repeat(32), 60),
    );
    finds.length = 0;

    const ids = [...users.map((user) => user._id.toHexString()), '0123456789abcdef01234567', 'not-an-id'];
    const loaded = await Promise.all(ids.map((id) => context.userById.load(id)));

    expect(finds).toHaveLength(1);
    expect(loaded.slice(0, 12).map((user) => user?.handle)).toEqual(users.map((user) => user.handle));
    expect(loaded.slice(12)).toEqual([null, null]);
  });
});
