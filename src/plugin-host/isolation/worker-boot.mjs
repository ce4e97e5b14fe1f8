// Entry of a plugin worker. Plain JS: it installs the TypeScript loader (plugins in folders may be
// .ts) and the deny-list hook, then runs the TypeScript worker body.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register(new URL('./deny-hooks.mjs', import.meta.url));
// Native bindings are a way around the module deny-list; a plugin gets none.
process.binding = () => {
  throw new Error('process.binding is not available to isolated plugins');
};
process._linkedBinding = process.binding;
process.dlopen = () => {
  throw new Error('native addons are not available to isolated plugins');
};
await import(new URL('./worker-main.ts', import.meta.url).href);
