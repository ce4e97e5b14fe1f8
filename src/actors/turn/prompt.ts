import type { Character } from '../../characters/schema.ts';
import type { ChatMessage, PromptContext } from '../../models/provider.ts';
import type { Action } from '../../plugin-host/types.ts';
import type { CallerRequest } from './caller-request.ts';

/** Output of one provider in this turn, kept for the prompt and (as a hash) for the trace. */
export interface ProviderOutput {
  name: string;
  text: string;
  data: Record<string, unknown>;
  values: Record<string, unknown>;
}

const asArray = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** ElizaOS `messageHandlerTemplate`, shortened: the model answers in the XML envelope. */
export const RESPONSE_INSTRUCTIONS = `Respond in this XML format and nothing else:
<response>
  <thought>your short private reasoning</thought>
  <actions>comma-separated actions, usually REPLY</actions>
  <providers>extra providers you need, usually empty</providers>
  <text>the message to send</text>
</response>`;

/**
 * Fills an ElizaOS template: {{agentName}}, {{senderName}}, {{providers}}, {{actions}},
 * {{actionNames}}, {{recentMessages}}, {{bio}}, {{system}}, and any provider value by name. Unknown
 * placeholders become empty, as in ElizaOS's composePrompt.
 */
export function fillTemplate(template: string, vars: Record<string, unknown>): string {
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, key: string) => {
    const v = vars[key];
    return v === undefined || v === null ? '' : Array.isArray(v) ? v.join('\n') : String(v);
  });
}

export function buildMessages(input: {
  character: Character;
  providers: readonly ProviderOutput[];
  actions: readonly Action[];
  senderName: string;
  text: string;
  xml: boolean;
  /** An OpenAI-compatible caller's system message (added to the character's) and earlier turns (they replace the room's recent messages). */
  request?: CallerRequest;
}): ChatMessage[] {
  const { character, request } = input;
  // The caller's history is the conversation: the room's own recent messages are left out.
  const providers = request?.history ? input.providers.filter((p) => p.name !== 'RECENT_MESSAGES') : input.providers;
  const providerText = providers.filter((p) => p.text.trim()).map((p) => p.text.trim());
  const callerSystem = request?.system?.trim() ? [`# Instructions from the caller\n${request.system.trim()}`] : [];
  const history = (request?.history ?? []).map((h): ChatMessage => ({ role: h.role, content: h.content }));
  const actions = input.actions.map((a) => `- ${a.name}: ${a.description}`).join('\n');
  const template = character.templates?.messageHandlerTemplate;
  if (template) {
    // The character brings its own prompt (ElizaOS templates.messageHandlerTemplate).
    const values = Object.assign({}, ...input.providers.map((p) => p.values));
    const system = fillTemplate(template, {
      ...values,
      agentName: character.name,
      senderName: input.senderName,
      system: character.system ?? '',
      bio: asArray(character.bio).join(' '),
      providers: providerText.join('\n\n'),
      actions,
      actionNames: input.actions.map((a) => a.name).join(', '),
      recentMessages: request?.history ? '' : (input.providers.find((p) => p.name === 'RECENT_MESSAGES')?.text ?? ''),
    });
    return [{ role: 'system', content: [system, ...callerSystem].join('\n\n') }, ...history, { role: 'user', content: `${input.senderName}: ${input.text}` }];
  }
  const system = [character.system ?? `You are ${character.name}.`, ...callerSystem, ...providerText];
  if (input.xml) system.push(`# Available actions\n${actions}`, RESPONSE_INSTRUCTIONS);
  return [{ role: 'system', content: system.join('\n\n') }, ...history, { role: 'user', content: `${input.senderName}: ${input.text}` }];
}

/** The structured view the local default generator answers from (it has no language model). */
export function buildPromptContext(input: {
  character: Character;
  providers: readonly ProviderOutput[];
  senderName?: string;
  text: string;
  request?: CallerRequest;
}): PromptContext {
  const { character, request } = input;
  const data = (name: string) => input.providers.find((p) => p.name === name)?.data ?? {};
  const knowledge = (data('KNOWLEDGE').hits as { text: string; title?: string; score: number }[] | undefined) ?? [];
  const facts = (data('FACTS').facts as { text: string }[] | undefined) ?? [];
  const recent = (data('RECENT_MESSAGES').messages as { authorName: string; text: string }[] | undefined) ?? [];
  const examples: { user: string; agent: string }[] = [];
  for (const convo of character.messageExamples ?? []) {
    for (let i = 0; i + 1 < convo.length; i++) {
      const a = convo[i];
      const b = convo[i + 1];
      if (a.name !== character.name && b.name === character.name && a.content.text && b.content.text)
        examples.push({ user: a.content.text, agent: b.content.text });
    }
  }
  return {
    agentName: character.name,
    bio: [...asArray(character.bio), ...(character.lore ?? [])],
    style: [...(character.style?.all ?? []), ...(character.style?.chat ?? [])],
    adjectives: character.adjectives ?? [],
    topics: character.topics ?? [],
    messageExamples: examples,
    knowledge: knowledge.map((k) => ({ text: k.text, title: k.title, score: k.score })),
    memories: [],
    facts: facts.map((f) => f.text),
    recentMessages: request?.history
      ? request.history.map((h) => ({ author: h.role === 'assistant' ? character.name : (input.senderName ?? 'User'), text: h.content }))
      : recent.map((m) => ({ author: m.authorName, text: m.text })),
    userText: input.text,
    userName: input.senderName,
  };
}

/** ElizaOS `shouldRespondTemplate`, shortened; a character's own templates.shouldRespondTemplate wins. */
export function shouldRespondMessages(agentName: string, senderName: string, text: string, recent: string, template?: string): ChatMessage[] {
  if (template) {
    return [
      { role: 'system', content: fillTemplate(template, { agentName, senderName, recentMessages: recent }) },
      { role: 'user', content: `${senderName}: ${text}` },
    ];
  }
  return [
    {
      role: 'system',
      content: `You decide whether ${agentName} should answer the last message in a group chat. Answer with <action>RESPOND</action> if the message is for ${agentName} or ${agentName} can clearly help, <action>IGNORE</action> otherwise, <action>STOP</action> if asked to stop.\n\n${recent}`,
    },
    { role: 'user', content: `${senderName}: ${text}` },
  ];
}
