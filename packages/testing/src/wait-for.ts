export interface WaitForOptions<T> {
  timeoutMs?: number;
  intervalMs?: number;
  /** Explains what never happened; becomes the error message on timeout. */
  message: string;
  /**
   * When a probe's value counts as done. Default: anything but undefined, null, false and 0, so
   * that a lookup that found nothing (null) or a count still at zero is "not yet" rather than a pass.
   */
  until?: (value: T) => boolean;
}

const isSomething = (value: unknown) => value !== undefined && value !== null && value !== false && value !== 0;

/**
 * Polls `probe` until its value is done (see `until`) and returns that value. Tests wait for
 * eventual effects (events, projections) with this instead of fixed sleeps. A probe that throws is
 * treated as "not yet"; its last error is appended on timeout.
 */
export async function waitFor<T>(
  probe: () => Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50, message, until = isSomething }: WaitForOptions<T>,
): Promise<Exclude<T, undefined | null | false>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (until(value)) return value as Exclude<T, undefined | null | false>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`${message} [waited ${timeoutMs} ms]${cause}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
