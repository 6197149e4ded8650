/**
 * Ids used as field names inside index documents (`e.<postId>`, `u.<userId>`). MongoDB and
 * FerretDB refuse field names containing `.` or starting with `$`, so anything but plain
 * `[A-Za-z0-9_-]` is stored base64url-encoded behind a `~`.
 */
const PLAIN = /^[A-Za-z0-9_-]{1,128}$/;

export function toFieldKey(id: string): string {
  return PLAIN.test(id) ? id : `~${Buffer.from(id, 'utf8').toString('base64url')}`;
}

export function fromFieldKey(key: string): string {
  return key.startsWith('~') ? Buffer.from(key.slice(1), 'base64url').toString('utf8') : key;
}

/** Serializes async work per key inside this process (e.g. every event about one post). */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => {});
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
