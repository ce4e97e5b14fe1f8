import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { composeReply, elizaReply, reflect } from '../../plugins/local/index.ts';
import { KNOWLEDGE_MIN_SCORE } from '../../plugins/local/rules/generator.ts';
import type { PromptContext } from '../../src/models/provider.ts';

const quill: PromptContext = {
  agentName: 'Quill',
  bio: ['Former technical writer', 'Explains APIs with small runnable snippets'],
  style: ['brief'],
  adjectives: ['patient'],
  topics: ['documentation', 'REST APIs'],
  messageExamples: [{ user: 'Can you help me write a README?', agent: 'Gladly, {{user}}! Start with what the project does in one sentence.' }],
  knowledge: [
    {
      title: 'tokens.md',
      score: 0.82,
      text: 'Chronicle issues JWT access tokens. Access tokens expire after 15 minutes. Refresh tokens last 30 days and rotate on every use.',
    },
    { title: 'install.md', score: 0.2, text: 'Install Node 20 and run npm ci. Then start the server with npm start.' },
  ],
  memories: [],
  facts: ['The user prefers examples in Python.'],
  recentMessages: [],
  userText: '',
  userName: 'Sam',
};
const ask = (userText: string, ctx: Partial<PromptContext> = {}) => composeReply([{ role: 'user', content: userText }], { ...quill, ...ctx, userText });

describe('rules generator', () => {
  it('greets with the agent name and bio', () => {
    const r = ask('Hello!');
    expect(r.source).toBe('greeting');
    expect(r.text).toContain('Quill');
    expect(r.text).toContain('Sam');
    expect(r.text).toContain('Former technical writer');
  });

  it('answers "what is your name"', () => {
    const r = ask('what is your name?');
    expect(r.source).toBe('identity');
    expect(r.text).toMatch(/^I'm Quill\./);
  });

  it('says what it does from bio and topics, and acknowledges short replies', () => {
    const r = ask('What do you do?');
    expect(r.text).toBe("I'm Quill. Former technical writer. Explains APIs with small runnable snippets. I like to talk about documentation and REST APIs.");
    expect(ask('ok').source).toBe('smalltalk');
    expect(ask('tell me a joke').text).toContain('a joke');
  });

  it('answers a question from the best-matching knowledge chunk, naming the document', () => {
    const r = ask('How long do refresh tokens last?');
    expect(r.source).toBe('knowledge');
    expect(r.text).toContain('tokens.md');
    expect(r.text).toContain('Refresh tokens last 30 days');
    expect(r.text).not.toContain('npm ci');
  });

  const guide = {
    title: 'Setup guide',
    score: 0.6,
    text: '# Setup guide\n\n## Starting the server\n\nStart the server with `npm start`. It **listens** on port 3000 by default; see [the web guide](https://example.com/web).\n\n- The port can be changed with *PORT*\n- Logs go to __stderr__',
  };

  it('quotes Markdown knowledge as prose: no headings, emphasis, code, link syntax or "From X:" fragment', () => {
    const r = ask('What port does the server listen on?', { knowledge: [guide], adjectives: [] });
    expect(r.source).toBe('knowledge');
    expect(r.text).toContain('"Setup guide"');
    expect(r.text).toContain('port 3000');
    expect(r.text).not.toMatch(/#|\*|`|\]\(|\bFrom [^.!?]*:|__/);
    expect(r.text).toMatch(/[.!?]$/);
    const list = ask('Can the port be changed?', { knowledge: [guide], adjectives: [] });
    expect(list.text).toMatch(/the port can be changed with PORT/i);
    expect(list.text).not.toMatch(/(^|\s)- |\*/);
  });

  it("quotes the best sentences by overlap with the question, not the chunk's first line", () => {
    const r = ask('Where do logs go?', { knowledge: [guide], adjectives: [] });
    expect(r.text).toContain('Logs go to stderr');
    expect(r.text).not.toContain('Start the server');
  });

  it('cuts an over-long sentence at a word boundary, never inside a word', () => {
    const text = `The port ${'alpha beta gamma delta '.repeat(100)}end.`;
    const r = ask('Which port?', { knowledge: [{ title: 'Long', score: 0.9, text }], adjectives: [] });
    expect(r.text.length).toBeLessThan(800);
    const words = r.text.replace(/\(from "Long"\)|According to "Long",|The document "Long" says that|I found this in "Long"\./g, ' ').match(/[\p{L}]+/gu)!;
    for (const w of words)
      expect(['The', 'the', 'port', 'alpha', 'beta', 'gamma', 'delta', 'end', 'Good', 'question', 'Let', 'me', 'help', 'with', 'that']).toContain(w);
  });

  it("opens in the character's voice, from its adjectives; a brief style gets straight to the point", () => {
    expect(ask('What port does the server listen on?', { knowledge: [guide], adjectives: ['cheerful'], style: [] }).text).toMatch(
      /^(Happy to help|Glad you asked)! /,
    );
    expect(ask('What port does the server listen on?', { knowledge: [guide], adjectives: [], style: ['be brief'] }).text).toMatch(
      /^(According to|The document|It listens|I found)/,
    );
  });

  it('does not quote a chunk scored below the threshold: a question gets "I don\'t know"', () => {
    const r = ask('What port does the server listen on?', { knowledge: [{ ...guide, score: KNOWLEDGE_MIN_SCORE - 0.1 }] });
    expect(r.source).toBe('unknown');
    expect(r.text).toMatch(/I don't know/);
    expect(r.text).not.toContain('3000');
    // "I don't know" comes last: a topic of the character's, or a statement (not a question), gets its usual reply.
    const weak = { knowledge: [{ ...guide, score: 0.1 }] };
    expect(ask('What do you think about documentation?', weak).source).toBe('topic');
    expect(ask('I am worried about my exams', weak).source).toBe('eliza');
  });

  it('reuses the answer of the most similar message example, filling names', () => {
    const r = ask('could you help me write a readme');
    expect(r.source).toBe('example');
    expect(r.text).toBe('Gladly, Sam! Start with what the project does in one sentence.');
  });

  it('answers from remembered facts', () => {
    const r = ask('which language examples do I prefer?');
    expect(r.source).toBe('memory');
    expect(r.text).toContain('Python');
  });

  it('falls back to ELIZA reflection with pronouns swapped', () => {
    expect(ask('I am worried about my exams').text).toMatch(/you are worried about your exams|being worried about your exams/);
    expect(reflect('I am sure you like my idea')).toBe('you are sure I like your idea');
    expect(elizaReply('I need a break')).toMatch(/a break/);
  });

  it('works with no context at all (only messages)', () => {
    const r = composeReply([
      { role: 'system', content: 'You are Zed, a helper.' },
      { role: 'user', content: 'who are you' },
    ]);
    expect(r.text).toBe("I'm Zed.");
  });

  it('is deterministic and never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.array(fc.string(), { maxLength: 3 }), (text, bio) => {
        const a = composeReply([{ role: 'user', content: text }], { ...quill, bio, userText: text });
        const b = composeReply([{ role: 'user', content: text }], { ...quill, bio, userText: text });
        expect(a).toEqual(b);
        expect(a.text.trim().length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('handles empty, unicode and very long text', () => {
    expect(ask('').text).toContain('What would you like');
    expect(ask('   \n ').source).toBe('empty');
    expect(ask('こんにちは、元気ですか？').text.length).toBeGreaterThan(0);
    const long = ask('tokens '.repeat(200_000));
    expect(long.text.length).toBeLessThan(2000);
  });
});

describe('rules generator on arbitrary Markdown knowledge', () => {
  // Block syntax starts a line (as the chunker keeps it); inline syntax can sit anywhere in a line.
  const block = fc.constantFrom('# Port', '## The port', '### Notes', '- ', '* ', '1. ', '> ', '```sh', '```', '---', '| port | 3000 |', '|---|---|', '');
  const inline = fc.constantFrom(
    '**bold port**',
    '__port__',
    '*port*',
    '`npm start`',
    '[port docs](https://x.y/port)',
    '![port](p.png)',
    'The port is set by PORT.',
    'It listens on the port',
    'e.g. the port 3.5',
    'Port 80? No!',
    'the port is 3000',
    ' ',
  );
  const line = fc
    .tuple(block, fc.array(inline, { maxLength: 4 }))
    .map(([b, xs]) => (b.endsWith(' ') || !xs.length ? b + xs.join(' ') : `${b}\n${xs.join(' ')}`));
  const markdown = fc.array(line, { minLength: 1, maxLength: 20 }).chain((ls) => fc.constantFrom('\n', '\n\n').map((sep) => ls.join(sep)));

  it('a quoted chunk never carries Markdown syntax or a "From X:" fragment, and ends a sentence', () => {
    fc.assert(
      fc.property(markdown, (text) => {
        const r = ask('Which port?', { knowledge: [{ title: 'Ports', score: 0.9, text }], adjectives: [] });
        if (r.source !== 'knowledge') return;
        expect(r.text).toContain('"Ports"');
        expect(r.text).not.toMatch(/(^|\s)#{1,6}\s|\*\*|__|`|\]\(|!\[|\|\s*-{3}|\bFrom [^.!?]*:/);
        expect(r.text).toMatch(/[.!?…]\)?\.?$/);
      }),
      { numRuns: 300 },
    );
  });
});
