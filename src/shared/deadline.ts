/** `p`, or a rejection with `message()` once `ms` have passed; the timer is cleared either way. */
export function withDeadline<T>(p: Promise<T> | T, ms: number, message: () => string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([Promise.resolve(p), new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(message())), ms)))]).finally(() =>
    clearTimeout(t),
  );
}
