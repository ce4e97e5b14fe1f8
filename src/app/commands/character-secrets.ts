import type { Character } from '../../characters/schema.ts';
import type { SecretBox } from '../../shared/secrets.ts';

type SecretMap = Record<string, string | number | boolean>;

const sealMap = (map: SecretMap | undefined, box: SecretBox): SecretMap | undefined =>
  map && Object.fromEntries(Object.entries(map).map(([k, v]) => [k, typeof v === 'string' && v.startsWith('enc:v1:') ? v : box.seal(String(v))]));

/** Seals `settings.secrets` and `secrets` values (already sealed ones are kept) before they enter the log. */
export function sealSecrets(character: Character, box: SecretBox): Character {
  const out: Character = { ...character };
  if (character.secrets) out.secrets = sealMap(character.secrets, box);
  if (character.settings?.secrets) out.settings = { ...character.settings, secrets: sealMap(character.settings.secrets, box) };
  return out;
}

/** The character as the API shows it: secrets are never returned. */
export function withoutSecrets(character: Character): Character {
  const { secrets: _secrets, ...rest } = character;
  if (rest.settings?.secrets) {
    const { secrets: _s, ...settings } = rest.settings;
    return { ...rest, settings };
  }
  return rest;
}
