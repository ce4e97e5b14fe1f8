/**
 * Parses the ElizaOS response format `<response><thought/><actions/><providers/><text/></response>`
 * (messageHandlerTemplate). Anything that is not that XML is plain text, answered with REPLY.
 */
export interface ParsedResponse {
  thought?: string;
  actions: string[];
  providers: string[];
  text: string;
  /** False when the output was plain text (no XML envelope). */
  structured: boolean;
}

const tag = (xml: string, name: string): string | undefined => {
  const m = new RegExp(`<${name}>([\\s\\S]*?)(?:</${name}>|$)`, 'i').exec(xml);
  return m ? decodeEntities(m[1].trim()) : undefined;
};

/** The five XML entities a model's <text> may carry (the stream's visible text decodes with this too). */
export const decodeEntities = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&amp;/g, '&');

const list = (s: string | undefined) =>
  (s ?? '')
    .split(/[,\n]/)
    .map((x) => x.trim())
    .filter(Boolean);

export function parseResponse(raw: string): ParsedResponse {
  const trimmed = raw
    .trim()
    .replace(/^```(?:xml)?\s*/i, '')
    .replace(/\s*```$/, '');
  const hasEnvelope = /<response>/i.test(trimmed) || /<text>/i.test(trimmed);
  if (!hasEnvelope) return { actions: ['REPLY'], providers: [], text: raw.trim(), structured: false };
  const body = /<response>([\s\S]*?)(?:<\/response>|$)/i.exec(trimmed)?.[1] ?? trimmed;
  const actions = list(tag(body, 'actions')).map((a) => a.toUpperCase());
  const text = tag(body, 'text') ?? '';
  return {
    thought: tag(body, 'thought') || undefined,
    actions: actions.length ? actions : ['REPLY'],
    providers: list(tag(body, 'providers')),
    text,
    structured: true,
  };
}
