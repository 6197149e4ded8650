import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';

const ISSUER = 'micropost';
const CLIENT_AUDIENCE = 'micropost-client';
const SUBGRAPH_AUDIENCE = 'micropost-subgraphs';
/** Forwarded identities live only as long as one request fan-out needs. */
const IDENTITY_TTL_SECONDS = 60;

/** Header in which the router forwards the verified viewer to subgraphs. */
export const IDENTITY_HEADER = 'x-micropost-identity';

export interface AccessToken {
  readonly userId: string;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
}

export interface Identity {
  readonly userId: string;
}

/** A token that is missing its claims, badly signed or expired. */
export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
}

/** Signs and verifies with one HMAC key; keys are derived once, not per call. */
class HmacSigner {
  readonly #key: Uint8Array;
  constructor(
    secret: string,
    private readonly audience: string,
  ) {
    this.#key = new TextEncoder().encode(secret);
  }

  sign(subject: string, ttlSeconds: number): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(this.audience)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.#key);
  }

  async verify(token: string): Promise<{ subject: string; expiresAt: number }> {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        issuer: ISSUER,
        audience: this.audience,
        algorithms: ['HS256'],
      });
      if (!payload.sub || payload.exp === undefined) throw new InvalidTokenError('token lacks subject or expiry');
      return { subject: payload.sub, expiresAt: payload.exp };
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof errors.JOSEError) throw new InvalidTokenError(error.code);
      throw error;
    }
  }
}

/** Bearer tokens handed to clients at register/login. */
export class AccessTokens {
  readonly #signer: HmacSigner;
  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.#signer = new HmacSigner(secret, CLIENT_AUDIENCE);
  }

  issue(userId: string): Promise<string> {
    return this.#signer.sign(userId, this.ttlSeconds);
  }

  async verify(token: string): Promise<AccessToken> {
    const { subject, expiresAt } = await this.#signer.verify(token);
    return { userId: subject, expiresAt };
  }
}

/** An Ed25519 key pair as single-line text: base64 of the DER encodings (PKCS #8 and SPKI). */
export interface IdentityKeys {
  /** INTERNAL_PRIVATE_KEY: the router's alone. */
  readonly privateKey: string;
  /** INTERNAL_PUBLIC_KEY: what subgraphs get. */
  readonly publicKey: string;
}

/** A fresh key pair for forwarded identities (`npm start` keeps one in .micropost/secrets.json). */
export function generateIdentityKeys(): IdentityKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

/** The public key that belongs to `privateKey` (both as IdentityKeys encodes them). */
export function identityPublicKey(privateKey: string): string {
  return createPublicKey(readPrivateKey(privateKey)).export({ format: 'der', type: 'spki' }).toString('base64');
}

function readPrivateKey(text: string): KeyObject {
  const key = createPrivateKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 private key');
  return key;
}

function readPublicKey(text: string): KeyObject {
  const key = createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 public key');
  return key;
}

/**
 * Signs the identity the router forwards to subgraphs (EdDSA, Ed25519). Only the router holds the
 * private key; a subgraph holds the public key, so it can check an identity but never mint one.
 */
export class IdentitySigner {
  readonly #key: KeyObject;
  constructor(privateKey: string) {
    this.#key = readPrivateKey(privateKey);
  }

  sign(identity: Identity): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(ISSUER)
      .setAudience(SUBGRAPH_AUDIENCE)
      .setSubject(identity.userId)
      .setIssuedAt()
      .setExpirationTime(`${IDENTITY_TTL_SECONDS}s`)
      .sign(this.#key);
  }
}

/** Verifies forwarded identities with the router's public key. */
export class IdentityVerifier {
  readonly #key: KeyObject;
  constructor(publicKey: string) {
    this.#key = readPublicKey(publicKey);
  }

  async verify(token: string): Promise<Identity> {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        issuer: ISSUER,
        audience: SUBGRAPH_AUDIENCE,
        algorithms: ['EdDSA'],
      });
      if (!payload.sub || payload.exp === undefined) throw new InvalidTokenError('token lacks subject or expiry');
      return { userId: payload.sub };
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof errors.JOSEError) throw new InvalidTokenError(error.code);
      throw error;
    }
  }
}

/** The token of an `Authorization: Bearer <token>` value (also graphql-ws connectionParams), or null. */
export function bearerToken(authorization: string | undefined | null): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1] ?? null;
}

const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` random characters from [A-Za-z0-9]: a value for JWT_SECRET. */
export function generateSecret(length = 48): string {
  // 256 % 62 ≠ 0, so reject the top bytes to keep every character equally likely.
  const limit = 256 - (256 % SECRET_ALPHABET.length);
  let secret = '';
  while (secret.length < length) {
    for (const byte of randomBytes(length))
      if (byte < limit && secret.length < length) secret += SECRET_ALPHABET[byte % SECRET_ALPHABET.length];
  }
  return secret;
}
