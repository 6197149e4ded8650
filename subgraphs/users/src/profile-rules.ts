import { BadUserInputError } from '@micropost/server';

const HANDLE = /^[a-z0-9_]{3,30}$/;
export const PASSWORD_LENGTH = { min: 8, max: 128 } as const;
export const DISPLAY_NAME_MAX = 50;
export const BIO_MAX = 160;
export const AVATAR_URL_MAX = 2048;

/** Handles are case-insensitive: compared and stored lowercase. Null when it cannot be a handle. */
export function normalizeHandle(raw: string): string | null {
  const handle = raw.trim().toLowerCase();
  return HANDLE.test(handle) ? handle : null;
}

export function requireHandle(raw: string): string {
  const handle = normalizeHandle(raw);
  if (handle === null) throw new BadUserInputError('A handle is 3–30 characters of letters a–z, digits and _.');
  return handle;
}

export function requirePassword(password: string): string {
  if (password.length < PASSWORD_LENGTH.min || password.length > PASSWORD_LENGTH.max) {
    throw new BadUserInputError(`A password is ${PASSWORD_LENGTH.min}–${PASSWORD_LENGTH.max} characters.`);
  }
  return password;
}

export function requireDisplayName(raw: string): string {
  const name = raw.trim();
  if (name.length < 1 || name.length > DISPLAY_NAME_MAX)
    throw new BadUserInputError(`A display name is 1–${DISPLAY_NAME_MAX} characters.`);
  return name;
}

export function requireBio(raw: string): string {
  const bio = raw.trim();
  if (bio.length > BIO_MAX) throw new BadUserInputError(`A bio is at most ${BIO_MAX} characters.`);
  return bio;
}

/** An http(s) URL, or null for "no avatar" when given an empty string. */
export function requireAvatarUrl(raw: string): string | null {
  const value = raw.trim();
  if (value === '') return null;
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    // fall through to the error below
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || value.length > AVATAR_URL_MAX) {
    throw new BadUserInputError(`An avatar URL is an http(s) URL of at most ${AVATAR_URL_MAX} characters.`);
  }
  return value;
}
