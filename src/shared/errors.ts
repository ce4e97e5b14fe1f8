/** An error's message, bounded for events (plugin.failed, reply.failed, action results). */
export const errText = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 500);
