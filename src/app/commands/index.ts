export * from './context.ts';
export * from './accounts.ts';
export * from './auth.ts';
export * from './agents.ts';
export * from './rooms.ts';
export * from './messages.ts';
export { sealCharacterSecrets, stripSecrets } from '../../characters/secrets.ts';
export { parseInput } from './validate.ts';
