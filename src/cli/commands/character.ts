import { readFileSync, writeFileSync } from 'node:fs';
import { changeCount, formatProblem, loadCharacterText, type ConversionReport, type LoadResult } from '../../characters/index.ts';
import { isPluginInstalled } from '../../plugin-host/installed-plugins.ts';
import { type Command, UsageError, say } from '../command.ts';

/** A character file read and loaded (either generation); an unreadable file is one problem like any other. */
export function loadCharacterFile(file: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [{ path: '(file)', message: `cannot read ${file}: ${(err as Error).message}`, hint: 'check the path' }] };
  }
  return loadCharacterText(text, { isInstalled: isPluginInstalled });
}

/** One line per conversion entry: what a person reads to see what happened to their file. */
export function describeConversion(r: ConversionReport): string[] {
  return [
    ...(r.generation === 'v0' ? [`read as ElizaOS v0.x (because of: ${r.markers.join(', ')})`] : []),
    ...r.converted.map((c) => `converted ${c.path} → ${c.to}${c.note ? ` (${c.note})` : ''}`),
    ...r.dropped.map((d) => `dropped   ${d.path}: ${d.reason}`),
    ...r.warnings.map((w) => `warning   ${w.path}: ${w.message}`),
  ];
}

/** "ok" / "converted (3 changes, 1 warning)" / "invalid (2 problems)". */
export function verdict(result: LoadResult): string {
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;
  if (!result.ok) return `invalid (${n(result.problems.length, 'problem')})`;
  const r = result.conversion;
  if (r.generation === 'v1' && !r.warnings.length) return 'ok';
  const parts = [n(changeCount(r), 'change'), ...(r.warnings.length ? [n(r.warnings.length, 'warning')] : [])];
  return `converted (${parts.join(', ')})`;
}

function check(files: string[]): number {
  const results = files.map((file) => ({ file, result: loadCharacterFile(file) }));
  const width = Math.max(...results.map((r) => r.file.length));
  for (const { file, result } of results) process.stdout.write(`${file.padEnd(width)}  ${verdict(result)}\n`);
  for (const { file, result } of results) {
    const lines = result.ok
      ? describeConversion(result.conversion)
      : [...result.problems.map(formatProblem), ...(result.conversion ? describeConversion(result.conversion) : [])];
    if (!lines.length) continue;
    process.stdout.write(`\n${file}:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
  }
  return results.some((r) => !r.result.ok) ? 1 : 0;
}

function convert(file: string, out: string | undefined): number {
  const result = loadCharacterFile(file);
  if (!result.ok) {
    say(`${file} is not a valid character:`);
    for (const p of result.problems) say(`  - ${formatProblem(p)}`);
    return 1;
  }
  for (const line of describeConversion(result.conversion)) say(line);
  const json = JSON.stringify(result.character, null, 2) + '\n';
  if (out) {
    writeFileSync(out, json);
    say(`wrote ${out}`);
  } else process.stdout.write(json);
  return 0;
}

export const characterCommand: Command = {
  name: 'character',
  usage: `Usage: chronicle character check FILE...
       chronicle character convert FILE [--out F]

check: one line per file — ok, converted (n changes) for a v0.x file Chronicle converts on the way
in, or invalid (n problems) — then the details: each conversion (converted / dropped / warning) and
each problem with its field path and how to fix it. Exits 1 if any file is invalid.
convert: writes the v1 form of FILE to stdout (or F); what was converted or dropped goes to stderr.
Client plugins a v0.x \`clients\` list names are added only when installed here. Nothing is written
to any log.`,
  options: { out: { type: 'string' } },
  allowPositionals: true,
  async run({ values, positionals }) {
    const [action, ...files] = positionals;
    if (action === 'check') {
      if (!files.length) throw new UsageError('expected: character check FILE...');
      if (typeof values.out === 'string') throw new UsageError('--out is for convert');
      return check(files);
    }
    if (action === 'convert') {
      if (files.length !== 1) throw new UsageError('expected: character convert FILE [--out F]');
      return convert(files[0], typeof values.out === 'string' ? values.out : undefined);
    }
    throw new UsageError('expected: character check FILE... | character convert FILE [--out F]');
  },
};
