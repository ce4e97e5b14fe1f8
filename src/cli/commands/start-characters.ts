import { dirname, resolve } from 'node:path';
import type { Chronicle } from '../../app/chronicle.ts';
import { createAgentFromCharacter, ensureAdmin, setAgentRunning, updateAgentFromCharacter, type Caller } from '../../app/commands/index.ts';
import { addCharacterKnowledge } from '../../app/commands/character-knowledge.ts';
import { AppError } from '../../app/errors.ts';
import type { Character } from '../../characters/index.ts';
import { formatProblem, type ConversionReport } from '../../characters/index.ts';
import { resolveCharacterKnowledge } from '../../knowledge/character-knowledge.ts';
import { UsageError, say } from '../command.ts';
import { describeConversion, loadCharacterFile, verdict } from './character.ts';

export const characterFilesOption = { character: { type: 'string' as const, multiple: true } };

interface CharacterFile {
  file: string;
  character: Character;
  conversion: ConversionReport;
}

/**
 * The files of `start --character` (repeated, comma-separated, or listed after it), every one loaded
 * and checked before anything is written: one invalid file and nothing starts.
 */
export function readCharacterFiles(values: Record<string, unknown>, positionals: string[]): { ok: true; files: CharacterFile[] } | { ok: false } {
  const flagged = (values.character as string[] | undefined) ?? [];
  if (positionals.length && !flagged.length) throw new UsageError(`unexpected argument "${positionals[0]}" (character files go after --character)`);
  const names = [...flagged, ...positionals]
    .flatMap((f) => f.split(','))
    .map((f) => f.trim())
    .filter(Boolean);
  const files: CharacterFile[] = [];
  let ok = true;
  for (const file of names) {
    const loaded = loadCharacterFile(file);
    if (!loaded.ok) {
      say(`${file}: ${verdict(loaded)}`);
      for (const p of loaded.problems) say(`  - ${formatProblem(p)}`);
      ok = false;
      continue;
    }
    const twin = files.find((f) => f.character.name.toLowerCase() === loaded.character.name.toLowerCase());
    if (twin) {
      say(`${file}: names the agent "${loaded.character.name}" like ${twin.file}; one file per agent`);
      ok = false;
      continue;
    }
    files.push({ file, character: loaded.character, conversion: loaded.conversion });
  }
  return ok ? { ok: true, files } : { ok: false };
}

/**
 * Makes the log hold one running agent per file, matched by name: created when missing, updated to the
 * file's character when it differs (nothing appended when it does not), started when stopped; then its
 * knowledge is loaded (documents it already has are not embedded again). Returns the admin password
 * when this created the admin account with a generated one.
 */
export async function applyCharacterFiles(chronicle: Chronicle, files: CharacterFile[]): Promise<string | undefined> {
  if (!files.length) return undefined;
  const admin = await ensureAdmin(chronicle, chronicle.settings.adminPassword);
  const caller: Caller = { accountId: admin.account.id, role: 'admin' };
  for (const { file, character, conversion } of files) {
    try {
      const existing = chronicle.readModel.listAgents().find((a) => !a.deleted && a.name.toLowerCase() === character.name.toLowerCase());
      let what: string;
      let agentId: string;
      if (existing) {
        const r = await updateAgentFromCharacter(chronicle, caller, existing.id, character, { replace: true });
        const started = existing.status !== 'running';
        if (started) await setAgentRunning(chronicle, caller, existing.id, true);
        what = `${r.changed ? 'updated' : 'unchanged'}${started ? ', started' : ''}`;
        agentId = existing.id;
      } else {
        agentId = (await createAgentFromCharacter(chronicle, caller, character)).agent.id;
        what = 'created';
      }
      say(`agent "${character.name}" ${what} from ${file} (${verdict({ ok: true, character, conversion })})`);
      for (const line of describeConversion(conversion)) say(`  ${line}`);
      if (character.knowledge?.length) {
        const knowledge = await resolveCharacterKnowledge(character.knowledge, dirname(resolve(file)));
        const report = await addCharacterKnowledge(chronicle, caller, agentId, knowledge);
        const added = report.documents.filter((d) => !d.alreadyKnown).length;
        say(`  knowledge: ${report.documents.length} document${report.documents.length === 1 ? '' : 's'} (${added} new)`);
        for (const s of report.skipped) say(`  knowledge skipped: ${s.item}: ${s.reason}`);
        for (const f of report.failed) say(`  knowledge FAILED: ${f.title}: ${f.error}`);
      }
    } catch (err) {
      // e.g. a name taken by another agent after a rename: say which file, as the CLI says any error.
      throw new Error(`${file}: ${err instanceof AppError ? err.message : (err as Error).message}`);
    }
  }
  return admin.generatedPassword;
}
