export { CharacterSchema, type Character } from './schema.ts';
export { loadCharacter, loadCharacterText, type LoadResult } from './loader.ts';
export { sealCharacterSecrets, openCharacterSecrets, stripSecrets, characterSetting } from './secrets.ts';
export { defaultCharacter } from './default-character.ts';
