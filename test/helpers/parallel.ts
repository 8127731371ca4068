/** Runs `fn` over 0..n-1 from `concurrency` workers, each index once; resolves to the results by index. */
export async function inParallel<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) results[i] = await fn(i);
    }),
  );
  return results;
}
