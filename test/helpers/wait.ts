/** Waiting in tests: poll a condition until it holds, instead of sleeping for a guessed time. */

/**
 * Polls `check` every `intervalMs` until it answers something truthy, and resolves to that; rejects naming
 * `what` after `timeoutMs`.
 */
export async function until<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
