/** Plain HTTP from tests to what pods serve (a hostPort, a pod IP). */

/** The body of a 2xx answer to GET `url`, or undefined for anything else (refused, timed out, not 2xx). */
export async function httpText(url: string, timeoutMs = 2000): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}
