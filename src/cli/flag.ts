/** What `f` answers, or its failure as an Error whose message starts with the flag it came from. */
export function withFlag<T>(flag: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new Error(`${flag}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
