import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The web client: plain Vite, Preact through the built-in JSX transform (no plugin), built to web/dist
// which the Chronicle server serves at `/`. Relative asset paths so the page works under any prefix.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
});
