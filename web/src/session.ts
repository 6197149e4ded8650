/** The signed-in person, kept in localStorage so a reload stays signed in. */
export interface Session {
  readonly token: string;
  readonly userId: string;
  readonly handle: string;
}

const KEY = 'micropost.session';

export function loadSession(): Session | null {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Partial<Session> | null;
    return value?.token && value.userId && value.handle ? (value as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
}
