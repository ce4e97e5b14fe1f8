/** The readable text of an HTML page, for chunking and embedding (see html-text.mjs). */
export function htmlToText(html: string): string;
