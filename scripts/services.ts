/** One Micropost server process as `npm start` runs it: the app (every subgraph and the router). */
export interface ServerSpec {
  readonly name: string;
  /** The router's port; `/health` answers 200 on it. */
  readonly port: number;
}

/** Entry module of a server, relative to the repo root; run with `node --import tsx`. */
export const SERVER_ENTRY = 'app/src/index.ts';

const portFrom = (name: string, fallback: number): number => {
  const raw = process.env[name]?.trim();
  const port = raw ? Number(raw) : fallback;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`${name} must be a port number (got "${raw}")`);
  return port;
};

/** Where clients connect: the balancer's port (or server A's when there is no balancer). */
export const balancerPort = () => portFrom('BALANCER_PORT', 4000);

/** Servers A and B; identical and stateless, so either may serve any client. */
export const servers = (): readonly ServerSpec[] => [
  { name: 'server-a', port: portFrom('SERVER_A_PORT', 4001) },
  { name: 'server-b', port: portFrom('SERVER_B_PORT', 4002) },
];
