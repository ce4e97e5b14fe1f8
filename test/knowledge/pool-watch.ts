import { DocumentPool } from '../../src/knowledge/document-pool.ts';
import { DEFAULT_DOCUMENT_LIMITS, type DocumentLimits } from '../../src/settings/document-limits.ts';

/** A pool with the default limits but these. */
export const pool = (over: Partial<DocumentLimits> = {}) => new DocumentPool({ ...DEFAULT_DOCUMENT_LIMITS, ...over });

/** Runs `work`, sampling RSS and the pool's load every 10 ms; returns the peak RSS growth in MB and the most running at once. */
export async function watched<T>(
  p: DocumentPool,
  work: () => Promise<T>,
): Promise<{ result: PromiseSettledResult<T>; rssGrowthMb: number; mostRunning: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  let mostRunning = 0;
  const tick = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
    mostRunning = Math.max(mostRunning, p.load.running);
  }, 10);
  const [result] = await Promise.allSettled([work()]);
  clearInterval(tick);
  return { result, rssGrowthMb: (peak - before) / 1_048_576, mostRunning };
}

/** What a read came to: the refusal's message, or the start of the text. */
export const reason = (r: PromiseSettledResult<unknown>) =>
  r.status === 'rejected' ? String((r.reason as Error).message) : `resolved: ${String(r.value).slice(0, 60)}`;
