import { decodeEntities } from './parse-response.ts';

/**
 * Turns a model's raw output stream into the part a person should see, as it arrives: plain text
 * passes through; for ElizaOS XML only what is inside <text>…</text> is emitted (entities decoded),
 * so subscribers never see the thought or the action list.
 */
export class VisibleTextStream {
  private raw = '';
  private emitted = 0;
  private mode: 'unknown' | 'plain' | 'xml' = 'unknown';

  /** Feeds a raw delta; returns the visible delta (possibly empty). */
  push(delta: string): string {
    this.raw += delta;
    if (this.mode === 'unknown') {
      const lead = this.raw.trimStart();
      if (lead.length === 0) return '';
      if (lead.startsWith('<') || lead.startsWith('`')) {
        // Could be XML or a code fence around XML: decide once we can see a tag.
        if (/<response>|<thought>|<text>|<actions>/i.test(lead)) this.mode = 'xml';
        else if (lead.length > 40 || (!lead.startsWith('<') && !lead.startsWith('```'))) this.mode = 'plain';
        else return '';
      } else this.mode = 'plain';
    }
    const visible = this.mode === 'plain' ? this.raw.trimStart() : this.xmlVisible();
    if (visible.length <= this.emitted) return '';
    const out = visible.slice(this.emitted);
    this.emitted = visible.length;
    return out;
  }

  private xmlVisible(): string {
    const start = this.raw.search(/<text>/i);
    if (start < 0) return '';
    let body = this.raw.slice(start + 6);
    const end = body.search(/<\/text>/i);
    if (end >= 0) body = body.slice(0, end);
    else {
      // Hold back a possible partial closing tag or entity at the end.
      const lt = body.lastIndexOf('<');
      if (lt >= 0 && body.length - lt < 7) body = body.slice(0, lt);
      const amp = body.lastIndexOf('&');
      if (amp >= 0 && body.length - amp < 6 && !body.slice(amp).includes(';')) body = body.slice(0, amp);
    }
    body = body.replace(/^\s+/, '');
    return decodeEntities(body);
  }
}
