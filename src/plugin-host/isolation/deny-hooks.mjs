// Module resolution hook installed inside plugin workers (never in the main thread): Node's raw
// network and process modules are refused, so a plugin reaches the outside only through the fetch
// the host proxies and permission-checks. Plain JS because hooks load before any TypeScript loader.
const DENIED = new Set(['net', 'tls', 'http', 'https', 'http2', 'dgram', 'dns', 'child_process', 'cluster', 'inspector']);

export async function resolve(specifier, context, next) {
  const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  const base = bare.split('/')[0];
  if (DENIED.has(base)) {
    const err = new Error(`module "${specifier}" is not available to isolated plugins: network access needs a "net:<host>" permission and goes through fetch`);
    err.code = 'ERR_PLUGIN_PERMISSION';
    throw err;
  }
  return next(specifier, context);
}
