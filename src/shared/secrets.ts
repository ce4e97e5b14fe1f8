import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Encrypts values before they enter the log (character secrets, password hashes): AES-256-GCM under a
 * key derived from the data key kept in DATA_DIR. Format: "enc:v1:<iv b64>:<tag b64>:<ciphertext b64>".
 */
export class SecretBox {
  private readonly key: Buffer;
  constructor(dataKey: string | Buffer) {
    this.key = createHash('sha256').update('chronicle-secret-box-v1').update(dataKey).digest();
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `enc:v1:${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${body.toString('base64')}`;
  }

  open(sealed: string): string {
    const parts = sealed.split(':');
    if (parts.length !== 5 || parts[0] !== 'enc' || parts[1] !== 'v1') throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(parts[2], 'base64'));
    decipher.setAuthTag(Buffer.from(parts[3], 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(parts[4], 'base64')), decipher.final()]).toString('utf8');
  }
}
