import { createPrivateKey, createPublicKey } from 'node:crypto';
import { z } from 'zod';

/** Every invalid variable, reported together so one start-up fixes them all. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Variables whose values are never printed: secrets, keys, passwords, tokens. */
const SECRET_NAME = /SECRET|PASSWORD|PASSPHRASE|TOKEN|KEY|CREDENTIAL/i;

/**
 * How a bad value is shown in a ConfigError: secrets not at all (only their length), and URLs
 * without the password they may carry; everything else as given.
 */
export function describeValue(name: string, value: string): string {
  if (SECRET_NAME.test(name)) return `a value of ${value.length} characters, not shown`;
  return `"${value.replace(/(\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@')}"`;
}

/** Parses `env` with `schema`; blank values count as unset. Throws ConfigError naming each bad variable. */
export function parseEnv<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: Env = process.env,
): z.infer<z.ZodObject<Shape>> {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const result = z.object(shape).safeParse(present);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const name = issue.path.join('.');
      const value = present[name];
      return value === undefined
        ? `${name}: ${issue.message} (it is not set)`
        : `${name}: ${issue.message} (got ${describeValue(name, value)})`;
    }),
  );
}

/** Parses two shapes from one environment (shared and process-specific), reporting every problem of both together. */
export function parseEnvPair<A extends z.ZodRawShape, B extends z.ZodRawShape>(
  shared: A,
  own: B,
  env: Env = process.env,
): [z.infer<z.ZodObject<A>>, z.infer<z.ZodObject<B>>] {
  const problems: string[] = [];
  const attempt = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const first = attempt(() => parseEnv(shared, env));
  const second = attempt(() => parseEnv(own, env));
  if (first === undefined || second === undefined) throw new ConfigError(problems);
  return [first, second];
}

const port = z.coerce.number().int().min(0).max(65535);
const secret = z.string().min(32, 'must be at least 32 characters');
const positiveInt = z.coerce.number().int().positive();

/** Variables shared by every process. Fragments are spread into each process's own shape. */
/** The entries of a comma-separated variable, trimmed, empty ones dropped. */
export const commaList = (value: string): string[] =>
  value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);

export const logEnv = {
  /** pino level; default `info`. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

export const httpEnv = (defaultPort: number) => ({
  /** Interface to listen on; default loopback. */
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(defaultPort),
});

export const mongoEnv = {
  /** MongoDB connection string (FerretDB in development). */
  MONGO_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URL'),
  /** Each subgraph uses the database `<prefix><subgraph>`; default `micropost_`. */
  MONGO_DB_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_]*$/, 'may hold only letters, digits and _')
    .default('micropost_'),
};

export const amqpEnv = {
  /**
   * RabbitMQ URL, or for a cluster every node's URL, comma-separated (a server fails over to the
   * next node when its node goes away); without it events stay inside this process (single-server
   * development only).
   */
  AMQP_URL: z
    .string()
    .regex(
      /^\s*amqps?:\/\/[^,]+(,\s*amqps?:\/\/[^,]+)*$/,
      'must be an amqp:// or amqps:// URL, or several separated by commas',
    )
    .optional(),
  /** Durable topic exchange that carries every domain event; default `micropost.events`. */
  EVENTS_EXCHANGE: z.string().min(1).default('micropost.events'),
  /** Unacknowledged deliveries per consumer; default 32. */
  AMQP_PREFETCH: positiveInt.default(32),
};

/** The event stream: a retained log of every event, for resuming subscriptions and replaying projections. */
export const streamEnv = {
  /** Its name (a RabbitMQ stream queue bound to the events exchange); default `micropost.events.stream`. */
  EVENTS_STREAM: z.string().min(1).default('micropost.events.stream'),
  /** Retention by age, RabbitMQ syntax (a number and one of Y M D h m s); default `24h`. */
  EVENTS_STREAM_MAX_AGE: z
    .string()
    .regex(/^[1-9][0-9]*[YMDhms]$/, 'must be a number and one of Y M D h m s, e.g. 24h')
    .default('24h'),
  /** Retention by size in bytes; default 2 GB. */
  EVENTS_STREAM_MAX_BYTES: positiveInt.default(2_000_000_000),
  /** Segment size in bytes (retention drops whole segments); default 100 MB. */
  EVENTS_STREAM_SEGMENT_BYTES: positiveInt.default(100_000_000),
};

export const authEnv = {
  /** Signs the bearer tokens handed to clients. */
  JWT_SECRET: secret,
  /** Lifetime of a bearer token in seconds; default 7 days. */
  TOKEN_TTL_SECONDS: positiveInt.default(7 * 24 * 3600),
};

/** base64 of a DER-encoded Ed25519 key (PKCS #8 private, SPKI public), on one line. */
const ed25519Key = (type: 'private' | 'public') =>
  z.string().refine(
    (value) => {
      try {
        const key = Buffer.from(value, 'base64');
        const parsed =
          type === 'private'
            ? createPrivateKey({ key, format: 'der', type: 'pkcs8' })
            : createPublicKey({ key, format: 'der', type: 'spki' });
        return parsed.asymmetricKeyType === 'ed25519';
      } catch {
        return false;
      }
    },
    `must be a base64 DER Ed25519 ${type} key (${type === 'private' ? 'PKCS #8' : 'SPKI'})`,
  );

/** The router's: signs the identity it forwards to subgraphs. */
export const identitySigningEnv = { INTERNAL_PRIVATE_KEY: ed25519Key('private') };
/** Every subgraph's: verifies the router's signature, and cannot sign. */
export const identityVerifyingEnv = { INTERNAL_PUBLIC_KEY: ed25519Key('public') };

export { z };
