import argon2 from 'argon2';

/** OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane). */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

/** A real hash to verify against when there is no account, so both failures take the same time. */
const absentAccountHash = hashPassword('no account has this password');

/** Verifies against `hash`, or against a decoy when the account does not exist. */
export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  const matches = await argon2.verify(hash ?? (await absentAccountHash), password);
  return hash !== null && matches;
}
