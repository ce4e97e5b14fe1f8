import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { RawLogSource } from '../events/ndjson.ts';
import { ChainVerifier, type VerifyProblem } from '../events/verify.ts';
import type { Logger } from '../shared/logger.ts';
import type { DataPaths } from './data-dir.ts';

/** Where a start last found the chain intact; kept beside the log (never in it), so it is no part of the truth. */
interface VerifiedHead {
  seq: number;
  hash: string;
}

export class BrokenLogError extends Error {
  override readonly name = 'BrokenLogError';
  constructor(
    message: string,
    readonly problem: VerifyProblem,
  ) {
    super(message);
  }
}

const PAGE = 1000;

/**
 * Checks the hash chain before the log is served: from the position verified at the last start to the
 * head (the first start checks all of it), plus that the event at that position is still there with its
 * hash (which catches a truncated or swapped log). A broken log is refused — naming the first bad seq
 * and `chronicle verify` — unless the operator allows it (ALLOW_BROKEN_LOG), which is logged as an
 * error and leaves the verified position where it was, so every later start says it again.
 *
 * Limit: an edit of an event before the verified position, done with the hash recomputed for just that
 * row, is only caught by `chronicle verify`, which re-hashes everything.
 */
export async function checkLogAtOpen(
  store: RawLogSource,
  paths: DataPaths,
  options: { allowBroken: boolean; logger: Logger; logName?: string },
): Promise<{ checked: number }> {
  const mark = readVerifiedHead(paths.verifiedHead);
  const head = await store.head();
  let problem: VerifyProblem | undefined;
  let last = mark;
  let checked = 0;
  if (mark && head < mark.seq) {
    problem = {
      seq: head + 1,
      kind: 'seq_gap',
      detail: `the log ends at seq ${head}, but seq ${mark.seq} was verified at an earlier start: events were removed (if you replaced the log on purpose, delete ${paths.verifiedHead})`,
    };
  } else if (mark) {
    const [row] = await store.readRaw(mark.seq - 1, 1);
    if (!row || row.seq !== mark.seq || row.hash !== mark.hash) {
      problem = {
        seq: mark.seq,
        kind: 'hash_mismatch',
        detail: `the event verified at an earlier start is no longer the same (if you replaced the log on purpose, delete ${paths.verifiedHead})`,
      };
    }
  }
  if (!problem) {
    const verifier = new ChainVerifier(mark);
    scan: for (let after = mark?.seq ?? 0; ; ) {
      const page = await store.readRaw(after, PAGE);
      if (page.length === 0) break;
      for (const row of page) {
        problem = verifier.check(row);
        if (problem) break scan;
        last = { seq: row.seq, hash: row.hash };
      }
      after = page[page.length - 1].seq;
    }
    checked = verifier.checked;
  }
  if (problem) {
    const message =
      `the event log ${options.logName ?? paths.events} is broken at seq ${problem.seq} (${problem.kind}): ${problem.detail}. ` +
      'Refusing to serve it: run `chronicle verify` to see the report, restore the log from a backup, ' +
      'or start with --allow-broken-log (ALLOW_BROKEN_LOG=true) to serve it anyway.';
    if (!options.allowBroken) throw new BrokenLogError(message, problem);
    options.logger.error(`SERVING A BROKEN EVENT LOG because ALLOW_BROKEN_LOG is set: ${message}`, { seq: problem.seq, kind: problem.kind });
    return { checked };
  }
  if (last && (last.seq !== mark?.seq || last.hash !== mark?.hash)) writeVerifiedHead(paths.verifiedHead, last);
  return { checked };
}

/** Forget the verified position: the log was replaced on purpose (an import into an empty log). */
export function forgetVerifiedHead(paths: DataPaths): void {
  if (existsSync(paths.verifiedHead)) writeFileSync(paths.verifiedHead, '{}\n', { mode: 0o600 });
}

function readVerifiedHead(path: string): VerifiedHead | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<VerifiedHead>;
    if (Number.isSafeInteger(v.seq) && v.seq! > 0 && typeof v.hash === 'string' && /^[0-9a-f]{64}$/.test(v.hash)) return { seq: v.seq!, hash: v.hash };
  } catch {
    // An unreadable mark only costs a full check.
  }
  return undefined;
}

function writeVerifiedHead(path: string, head: VerifiedHead): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(head) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}
