import { readFileSync } from 'node:fs';
import type { SealKey, TrustKey } from './format.ts';

/**
 * The operator's key for an agent export, from CLI options or the environment: an HMAC key
 * (--key-file FILE or EXPORT_KEY), or an Ed25519 private key to sign with (--sign-key PEM) / a public
 * key to check with (--verify-key PEM).
 */
export interface KeyOptions {
  keyFile?: string;
  signKey?: string;
  verifyKey?: string;
}

const read = (path: string, what: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the ${what} ${path}: ${(err as Error).message}`);
  }
};

function hmacKey(o: KeyOptions): string | undefined {
  const key = o.keyFile !== undefined ? read(o.keyFile, 'key file').trim() : process.env.EXPORT_KEY;
  if (key !== undefined && key.length < 16) throw new Error('the export key must be at least 16 characters');
  return key;
}

export function sealKeyFrom(o: KeyOptions): SealKey {
  if (o.signKey !== undefined) return { privateKeyPem: read(o.signKey, 'signing key') };
  const key = hmacKey(o);
  if (key === undefined) throw new Error('no export key: give --key-file FILE or set EXPORT_KEY (an HMAC key), or --sign-key PEM (Ed25519)');
  return { hmacKey: key };
}

export function trustKeyFrom(o: KeyOptions): TrustKey {
  if (o.verifyKey !== undefined) return { publicKeyPem: read(o.verifyKey, 'public key') };
  const key = hmacKey(o);
  if (key === undefined)
    throw new Error('no export key: give --key-file FILE or set EXPORT_KEY (the HMAC key it was exported with), or --verify-key PEM (Ed25519)');
  return { hmacKey: key };
}

/** The passphrase of an export's secrets: --passphrase-file FILE or EXPORT_PASSPHRASE. */
export function passphraseFrom(file: string | undefined): string | undefined {
  return file !== undefined ? read(file, 'passphrase file').replace(/\r?\n$/, '') : process.env.EXPORT_PASSPHRASE;
}
