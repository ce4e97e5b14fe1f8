import { readFile, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { KNOWLEDGE_FILE_TYPES } from '../../knowledge/extract-text.ts';
import { type Command, UsageError, say } from '../command.ts';
import { apiOptions, connectApi } from '../api-client.ts';

export const knowledgeCommand: Command = {
  name: 'knowledge',
  usage: `Usage: chronicle knowledge add --agent NAME|ID FILE... [--url URL] [--username U] [--password P]

Uploads each FILE (.md, .markdown, .mdx, .txt, .text, .pdf) to the agent's knowledge through a running
server's API as an operator, one after another: the server reads the text (PDF included), chunks and
embeds it. The title is the file name without its extension. Prints a line per document on stderr and
the added documents as JSON on stdout; exits 1 if any file could not be added (the others still are).`,
  options: { ...apiOptions, agent: { type: 'string' } },
  allowPositionals: true,
  async run({ values, positionals }) {
    const [sub, ...files] = positionals;
    if (sub !== 'add') throw new UsageError('expected: knowledge add --agent NAME FILE...');
    if (typeof values.agent !== 'string') throw new UsageError('--agent NAME|ID is required');
    if (files.length === 0) throw new UsageError('name at least one FILE');

    const api = await connectApi(values);
    const { agents } = (await api.get('/api/v1/agents')) as { agents: { id: string; name: string }[] };
    const wanted = values.agent.toLowerCase();
    const agent = agents.find((a) => a.id === values.agent || a.name.toLowerCase() === wanted);
    if (!agent) throw new Error(`no agent "${values.agent}" (there are: ${agents.map((a) => a.name).join(', ') || 'none'})`);

    const added: { id: string; title: string; chunks: number; file: string }[] = [];
    let failed = 0;
    for (const [i, file] of files.entries()) {
      const contentType = KNOWLEDGE_FILE_TYPES[extname(file).toLowerCase()];
      const title = basename(file, extname(file)) || basename(file);
      try {
        if (!contentType) throw new Error(`unsupported file type (${Object.keys(KNOWLEDGE_FILE_TYPES).join(', ')})`);
        if (!(await stat(file)).isFile()) throw new Error('not a file');
        const base64 = (await readFile(file)).toString('base64');
        const { document } = (await api.post(`/api/v1/agents/${agent.id}/knowledge`, { title, file: { contentType, base64 } })) as {
          document: { id: string; title: string; chunks: number };
        };
        added.push({ ...document, file });
        say(`knowledge ${i + 1}/${files.length}: ${file} → "${title}", ${document.chunks} chunks`);
      } catch (err) {
        failed++;
        say(`knowledge ${i + 1}/${files.length}: ${file} FAILED: ${(err as Error).message}`);
      }
    }
    process.stdout.write(JSON.stringify({ agent: { id: agent.id, name: agent.name }, documents: added }, null, 2) + '\n');
    return failed ? 1 : 0;
  },
};
