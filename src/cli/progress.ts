/** A one-line progress indicator on stderr for long work (rebuilds, imports, exports). */
export function progressPrinter(label: string) {
  let last = 0;
  const tty = process.stderr.isTTY;
  return {
    /** `total` unknown (a streamed import): the count alone is shown. */
    update(done: number, total?: number) {
      const now = Date.now();
      if (now - last < 250 && done !== total) return;
      last = now;
      const pct = total === undefined ? '' : ` (${total > 0 ? ((done / total) * 100).toFixed(1) : '100.0'}%)`;
      const line = `${label}: ${done}${total === undefined ? '' : `/${total}`} events${pct}`;
      if (tty) process.stderr.write(`\r${line}`);
      else process.stderr.write(line + '\n');
    },
    done(summary: string) {
      if (tty) process.stderr.write('\r\x1b[K');
      process.stderr.write(`${label}: ${summary}\n`);
    },
  };
}
