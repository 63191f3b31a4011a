/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many milliseconds. */
  timeout?: number;
  /** Poll interval in milliseconds. */
  interval?: number;
  /** Says what is being waited for, in the failure message. */
  description?: string;
}

/**
 * Polls `check` until it returns a truthy value, and returns that value.
 * On timeout it throws with the last value or error it saw, so a red test explains itself.
 * This is the only way tests wait: never a bare sleep.
 */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  { timeout = 30_000, interval = 200, description = "condition" }: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const seen = last instanceof Error ? last.stack ?? last.message : JSON.stringify(last, null, 2);
      throw new Error(`timed out after ${timeout} ms waiting for ${description}; last seen: ${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
