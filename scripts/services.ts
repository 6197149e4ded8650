import { MAX_SERVERS, serverLetter } from '@micropost/infra';

/** One Micropost server process as `npm start` runs it: the app (every subgraph and the router). */
export interface ServerSpec {
  readonly name: string;
  /** The router's port; `/health` answers 200 on it. */
  readonly port: number;
}

/** Entry module of a server, relative to the repo root; run with `node --import tsx`. */
export const SERVER_ENTRY = 'app/src/index.ts';

type Env = Readonly<Record<string, string | undefined>>;

const integerFrom = (env: Env, name: string, fallback: number, min: number, max: number, what: string): number => {
  const raw = env[name]?.trim();
  const value = raw ? Number(raw) : fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be ${what} (got "${raw}")`);
  return value;
};

const portFrom = (env: Env, name: string, fallback: number) =>
  integerFrom(env, name, fallback, 1, 65535, 'a port number');

/** RabbitMQ nodes `npm start` runs when AMQP_URL is not given: RABBITMQ_NODES (default 1, a cluster from 3). */
export const rabbitNodeCount = (env: Env = process.env) =>
  integerFrom(env, 'RABBITMQ_NODES', 1, 1, 7, 'a whole number from 1 to 7');

/** Where clients connect: the balancer's port (or the first server's when there is no balancer). */
export const balancerPort = (env: Env = process.env) => portFrom(env, 'BALANCER_PORT', 4000);

/**
 * The servers `npm start` runs: SERVERS of them (default 2), server-a, server-b… on consecutive
 * ports from SERVER_PORT (default 4001). Identical and stateless, so any may serve any client.
 */
export function servers(env: Env = process.env): readonly ServerSpec[] {
  // The two variables these replaced would otherwise be ignored without a word.
  for (const old of ['SERVER_A_PORT', 'SERVER_B_PORT'])
    if (env[old]?.trim()) throw new Error(`${old} is gone: set SERVER_PORT, the first server's port (the rest follow)`);
  const count = integerFrom(env, 'SERVERS', 2, 1, MAX_SERVERS, `a number of servers from 1 to ${MAX_SERVERS}`);
  const first = portFrom(env, 'SERVER_PORT', 4001);
  if (first + count - 1 > 65535) throw new Error(`SERVER_PORT ${first} leaves no room for ${count} servers`);
  const specs = Array.from({ length: count }, (_, index) => ({
    name: `server-${serverLetter(index)}`,
    port: first + index,
  }));
  const entry = balancerPort(env);
  if (specs.some((spec) => spec.port === entry))
    throw new Error(`BALANCER_PORT ${entry} is one of the servers' ports (${first}–${first + count - 1})`);
  return specs;
}
