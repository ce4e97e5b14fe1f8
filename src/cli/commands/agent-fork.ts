import { openChronicle } from '../../app/chronicle.ts';
import { accountIdFor } from '../../app/commands/index.ts';
import { AppError } from '../../app/errors.ts';
import { forkAgent } from '../../time-travel/forks.ts';
import { type CommandDeps, UsageError } from '../command.ts';
import { connectApi } from '../api-client.ts';
import { cliSettings } from '../settings-from-env.ts';

export const agentForkUsage = `       chronicle agent fork NAME|ID --at SEQ --name NEW [--data-dir DIR | --url URL [--username U] [--password P]]

fork: a new (stopped) agent whose character, knowledge documents and facts are NAME's as they were
at log position SEQ (see GET /api/v1/health for the head); from then on the two diverge. Prints the
new agent and what was copied as JSON.`;

/** `chronicle agent fork`: through a running server's API with --url, else on DATA_DIR's log directly. */
export async function runAgentFork(values: Record<string, string | boolean | undefined>, positionals: string[], deps: CommandDeps): Promise<number> {
  const source = positionals[1];
  if (!source || positionals.length > 2) throw new UsageError('expected: agent fork NAME|ID --at SEQ --name NEW');
  if (typeof values.at !== 'string' || !/^\d{1,15}$/.test(values.at)) throw new UsageError('--at SEQ (a non-negative integer log position) is required');
  if (typeof values.name !== 'string' || !values.name.trim()) throw new UsageError('--name NEW is required');
  const body = { atSeq: Number(values.at), name: values.name };
  if (typeof values.url === 'string') {
    const api = await connectApi(values);
    const { agents } = (await api.get('/api/v1/agents')) as { agents: { id: string; name: string }[] };
    const agent = agents.find((a) => a.id === source) ?? agents.find((a) => a.name.toLowerCase() === source.toLowerCase());
    if (!agent) throw new Error(`no agent named or with id "${source}"`);
    process.stdout.write(JSON.stringify(await api.post(`/api/v1/agents/${agent.id}/fork`, body), null, 2) + '\n');
    return 0;
  }
  const chronicle = await openChronicle(cliSettings(values), await deps.builtIns(), { actors: false });
  try {
    const agent = chronicle.readModel.agentById(source) ?? chronicle.readModel.agentByName(source);
    if (!agent) throw new Error(`no agent named or with id "${source}"`);
    const admin = chronicle.readModel.accountById(accountIdFor('admin'));
    const result = await forkAgent(chronicle, { accountId: admin?.id ?? 'cli', role: 'admin' }, agent.id, body);
    const { character: _sealed, ...summary } = result.agent;
    process.stdout.write(JSON.stringify({ agent: summary, copied: result.copied }, null, 2) + '\n');
    return 0;
  } catch (err) {
    if (err instanceof AppError) throw new Error(err.message);
    throw err;
  } finally {
    await chronicle.close();
  }
}
