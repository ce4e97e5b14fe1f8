import { randomBytes, scryptSync } from 'node:crypto';
import { SecretBox } from '../shared/secrets.ts';
import { ExportRefusedError } from './format.ts';

/** scrypt cost (N=2^15, r=8: ~32 MB and ~0.1 s): cheap once per export, dear per guess. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const CHECK = 'chronicle-agent-export';

/**
 * Secrets travel sealed under a passphrase: scrypt(passphrase, salt) becomes the key of the same
 * AES-256-GCM SecretBox that seals them under DATA_KEY, so one sealing format serves both.
 */
export function passphraseBox(passphrase: string, salt: Buffer): SecretBox {
  if (passphrase.length < 8) throw new ExportRefusedError('the passphrase must be at least 8 characters');
  return new SecretBox(scryptSync(passphrase, salt, 32, SCRYPT));
}

/** A new box for an export, and what its header records so the importer can check the passphrase. */
export function newPassphraseBox(passphrase: string): { box: SecretBox; header: { salt: string; check: string } } {
  const salt = randomBytes(16);
  const box = passphraseBox(passphrase, salt);
  return { box, header: { salt: salt.toString('base64'), check: box.seal(CHECK) } };
}

/** The box of an export's header; a wrong passphrase is refused here, before anything is written. */
export function openPassphraseBox(passphrase: string, header: { salt: string; check: string }): SecretBox {
  const box = passphraseBox(passphrase, Buffer.from(header.salt, 'base64'));
  try {
    if (box.open(header.check) === CHECK) return box;
  } catch {
    // falls through to the refusal
  }
  throw new ExportRefusedError("the passphrase does not open this export's secrets");
}
