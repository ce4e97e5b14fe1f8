import type { Plugin } from '../../src/plugin-host/types.ts';
import { bootstrapActions } from './actions.ts';
import { bootstrapProviders } from './providers.ts';
import { reflectionEvaluator } from './reflection.ts';

/** Chronicle's @elizaos/plugin-bootstrap: the core actions, providers and the reflection evaluator. */
export const bootstrapPlugin: Plugin = {
  name: 'bootstrap',
  version: '1.0.0',
  description:
    'Core actions (REPLY, IGNORE, NONE, FOLLOW/UNFOLLOW/MUTE/UNMUTE_ROOM), providers (TIME, CHARACTER, RECENT_MESSAGES, KNOWLEDGE, FACTS) and reflection',
  actions: bootstrapActions,
  providers: bootstrapProviders,
  evaluators: [reflectionEvaluator],
};

export default bootstrapPlugin;
