import { describe, expect, it } from 'vitest';
import { ConfigError, authEnv, identitySigningEnv, mongoEnv, parseEnv } from '../src/index.ts';

function problems(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('no ConfigError');
}

describe('configuration errors', () => {
  it('never print a secret value, only that it is wrong', () => {
    const message = problems(() =>
      parseEnv(
        { ...authEnv, ...identitySigningEnv },
        { JWT_SECRET: 'hunter2-short', INTERNAL_PRIVATE_KEY: 'tiny-secret' },
      ),
    );
    expect(message).toMatch(/JWT_SECRET: must be at least 32 characters \(got a value of 13 characters, not shown\)/);
    expect(message).toMatch(/INTERNAL_PRIVATE_KEY: must be a base64 DER Ed25519 private key/);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('tiny-secret');
  });

  it('print a URL without its password', () => {
    const message = problems(() => parseEnv(mongoEnv, { MONGO_URL: 'http://root:s3cret@db:27017/' }));
    expect(message).toContain('MONGO_URL');
    expect(message).toContain('root:***@db');
    expect(message).not.toContain('s3cret');
  });
});
