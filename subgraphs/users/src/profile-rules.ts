import { BadUserInputError, requireText } from '@micropost/server';

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
  // Control characters get their own message; the pattern below decides the rest.
  const handle = normalizeHandle(requireText(raw, { name: 'A handle', min: 0, max: 1000 }));
  if (handle === null) throw new BadUserInputError('A handle is 3–30 characters of letters a–z, digits and _.');
  return handle;
}

/** Taken as typed (never trimmed), counted in code points like every text. */
export function requirePassword(password: string): string {
  return requireText(password, { name: 'A password', ...PASSWORD_LENGTH, verbatim: true });
}

export function requireDisplayName(raw: string): string {
  return requireText(raw, { name: 'A display name', min: 1, max: DISPLAY_NAME_MAX });
}

export function requireBio(raw: string): string {
  return requireText(raw, { name: 'A bio', min: 0, max: BIO_MAX, multiline: true });
}

/** An http(s) URL, or null for "no avatar" when given an empty string. */
export function requireAvatarUrl(raw: string): string | null {
  const value = requireText(raw, { name: 'An avatar URL', min: 0, max: AVATAR_URL_MAX });
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
