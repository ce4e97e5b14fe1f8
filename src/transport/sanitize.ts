/**
 * Output sanitisation: control characters (C0 except \t and \n, DEL, C1) are stripped from every string
 * the API returns. Text is always data: answers are JSON (never HTML), so nothing needs escaping here
 * beyond what JSON does; the web client renders text as text.
 */
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

export function stripControl(text: string): string {
  return text.replace(CONTROL, '');
}

/** JSON.stringify that strips control characters from every string and encodes vectors compactly. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (typeof v === 'string') return stripControl(v);
    if (v instanceof Float32Array) return { $f32: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
    return v;
  });
}
