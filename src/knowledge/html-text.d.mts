/** The readable text of an HTML page, for chunking and embedding (see html-text.mjs). `slice`: characters reduced at a time. */
export function htmlToText(html: string, slice?: number): string;
