import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { openChronicle } from '../../app/chronicle.ts';
import { createAgent, accountIdFor } from '../../app/commands/index.ts';
import { AppError } from '../../app/errors.ts';
import { formatProblem, loadCharacterText } from '../../characters/index.ts';
import { isPluginInstalled } from '../../plugin-host/installed-plugins.ts';
import { describeConversion } from './character.ts';
import { type Command, UsageError, say } from '../command.ts';
import { cliSettings, dataDirOption } from '../settings-from-env.ts';
import { apiOptions, connectApi } from '../api-client.ts';
import { addCharacterKnowledge } from '../../app/commands/character-knowledge.ts';
import { resolveCharacterKnowledge, type SkippedKnowledge } from '../../knowledge/character-knowledge.ts';
import { documentPool } from '../../knowledge/document-pool.ts';
import { portableOptions, portableUsage, runAgentExport, runAgentImport } from './agent-portable.ts';
import { agentForkUsage, runAgentFork } from './agent-fork.ts';

function reportKnowledge(r: { skipped: SkippedKnowledge[]; failed: { title: string; error: string }[] }): void {
  for (const s of r.skipped) say(`knowledge skipped: ${s.item}: ${s.reason}`);
  for (const f of r.failed) say(`knowledge FAILED: ${f.title}: ${f.error}`);
}

export const agentCommand: Command = {
  name: 'agent',
  usage: `Usage: chronicle agent create --character FILE [--data-dir DIR]
       chronicle agent create --character FILE --url URL [--username U] [--password P]

Validates the character (every problem is listed) and creates a running agent from it, with its
secrets sealed before they enter the log. Without --url it writes to the log in DATA_DIR directly
(stop the server first); with --url it goes through a running server's API as an operator.
The character's \`knowledge\` becomes the agent's documents: each text item one document, and
{path} / {directory} items read from disk relative to FILE's folder (Markdown, text, PDF; a
directory recursively) and only from inside it: a \`../\` or absolute path elsewhere, or a symlink
leading out, is skipped (the same offline and with --url). Progress and anything skipped, with the
reason, go to stderr.
Prints the new agent as JSON on stdout.
${portableUsage}
${agentForkUsage}`,
  options: { ...dataDirOption, ...apiOptions, character: { type: 'string' }, ...portableOptions, at: { type: 'string' } },
  allowPositionals: true,
  async run({ values, positionals }, deps) {
    if (positionals[0] === 'export') return runAgentExport(values, positionals.slice(1));
    if (positionals[0] === 'import') return runAgentImport(values, positionals.slice(1), deps);
    if (positionals[0] === 'fork') return runAgentFork(values, positionals, deps);
    if (positionals[0] !== 'create' || positionals.length > 1) throw new UsageError('expected: agent create --character FILE');
    if (typeof values.character !== 'string') throw new UsageError('--character FILE is required');
    let text: string;
    try {
      text = readFileSync(values.character, 'utf8');
    } catch (err) {
      throw new Error(`cannot read ${values.character}: ${(err as Error).message}`);
    }
    const loaded = loadCharacterText(text, { isInstalled: isPluginInstalled });
    if (!loaded.ok) {
      say(`${values.character} is not a valid character:`);
      for (const problem of loaded.problems) say(`  - ${formatProblem(problem)}`);
      // How far a v0.x file was converted before the problems above (what was dropped, e.g. `clients`).
      for (const line of loaded.conversion ? describeConversion(loaded.conversion) : []) say(`  ${line}`);
      return 1;
    }
    for (const line of describeConversion(loaded.conversion)) say(line);

    // Files first: an unreadable one is reported before anything is written.
    // PDFs are read within the DOCUMENT_* limits of the environment, as the server would.
    const knowledge = await resolveCharacterKnowledge(
      loaded.character.knowledge,
      dirname(resolve(values.character)),
      documentPool(cliSettings(values).documents),
    );
    const progress = (done: number, total: number, title: string) => say(`knowledge ${done}/${total}: ${title}`);

    if (typeof values.url === 'string') {
      const api = await connectApi(values);
      // The server ingests the text items itself (and skips the file items it may not read).
      const { agent } = (await api.post('/api/v1/agents', loaded.character)) as { agent: { id: string } };
      const files = knowledge.documents.filter((d) => d.fromFile);
      const failed: { title: string; error: string }[] = [];
      for (const [i, doc] of files.entries()) {
        try {
          await api.post(`/api/v1/agents/${agent.id}/knowledge`, { title: doc.title, text: doc.text });
        } catch (err) {
          failed.push({ title: doc.title, error: (err as Error).message });
        }
        progress(i + 1, files.length, doc.title);
      }
      reportKnowledge({ skipped: knowledge.skipped, failed });
      process.stdout.write(JSON.stringify(agent, null, 2) + '\n');
      return failed.length ? 1 : 0;
    }

    const chronicle = await openChronicle(cliSettings(values), await deps.builtIns(), { actors: false });
    try {
      const admin = chronicle.readModel.accountById(accountIdFor('admin'));
      const caller = { accountId: admin?.id ?? 'cli', role: 'admin' as const };
      const agent = await createAgent(chronicle, caller, loaded.character);
      const report = await addCharacterKnowledge(chronicle, caller, agent.id, knowledge, progress);
      reportKnowledge(report);
      const { character: _sealed, ...summary } = agent;
      process.stdout.write(JSON.stringify({ ...summary, name: agent.name }, null, 2) + '\n');
      return report.failed.length ? 1 : 0;
    } catch (err) {
      if (err instanceof AppError) throw new Error(err.message);
      throw err;
    } finally {
      await chronicle.close();
    }
  },
};
