export { CharacterSchema, type Character } from './schema.ts';
export { loadCharacter, loadCharacterText, type LoadResult } from './loader.ts';
export { convertCharacter, v0Markers, changeCount, type ConversionReport, type ConvertOptions } from './convert.ts';
export { formatProblem, type CharacterProblem } from './problems.ts';
export { sealCharacterSecrets, openCharacterSecrets, stripSecrets, characterSetting } from './secrets.ts';
export { defaultCharacter } from './default-character.ts';
