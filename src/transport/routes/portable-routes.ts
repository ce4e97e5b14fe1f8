import { catchUp } from '../../app/commands/context.ts';
import { AppError, badRequest } from '../../app/errors.ts';
import { ExportRefusedError, type TrustKey } from '../../portable/format.ts';
import { importAgent } from '../../portable/import-agent.ts';
import type { AppRouter } from '../call.ts';

const str = (v: unknown, field: string, max: number): string | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw badRequest(`${field} must be a string of 1 to ${max} characters`);
  return v;
};

/**
 * Admins bring an agent export (src/portable) into this server:
 * POST /api/v1/admin/agents/import {file, key | publicKey, passphrase?, remap?, name?}.
 * A refused file is a 400 (409 when its ids or name are taken) and nothing is appended.
 */
export function portableRoutes(router: AppRouter): void {
  router.add('POST', '/api/v1/admin/agents/import', { access: 'admin', body: true, upload: true }, async ({ server, body }) => {
    const b = (body ?? {}) as Record<string, unknown>;
    if (typeof b !== 'object' || Array.isArray(b)) throw badRequest('the body must be an object');
    const file = str(b.file, 'file', Number.MAX_SAFE_INTEGER);
    if (!file) throw badRequest("file (the export's text) is required");
    const key = str(b.key, 'key', 4096);
    const publicKey = str(b.publicKey, 'publicKey', 4096);
    if ((key === undefined) === (publicKey === undefined)) throw badRequest('give exactly one of key (the HMAC key) or publicKey (Ed25519, PEM)');
    if (b.remap !== undefined && typeof b.remap !== 'boolean') throw badRequest('remap must be a boolean');
    const trust: TrustKey = key !== undefined ? { hmacKey: key } : { publicKeyPem: publicKey! };
    const c = server.chronicle;
    await catchUp(c);
    try {
      const report = await importAgent(c.store, file, {
        trust,
        targetSecrets: c.secrets,
        passphrase: str(b.passphrase, 'passphrase', 1024),
        remap: b.remap === true,
        name: str(b.name, 'name', 200),
        agentByName: (name) => c.readModel.agentByName(name),
      });
      await catchUp(c);
      return { status: report.appended > 0 ? 201 : 200, body: { import: report } };
    } catch (err) {
      if (err instanceof ExportRefusedError) throw new AppError(err.conflict ? 409 : 400, err.conflict ? 'conflict' : 'validation_error', err.message);
      throw err;
    }
  });
}
