import type { Projection } from '../projection.ts';
import { accountsProjection } from './accounts.ts';
import { agentsProjection } from './agents.ts';
import { roomsProjection } from './rooms.ts';
import { messagesProjection } from './messages.ts';
import { knowledgeProjection } from './knowledge.ts';
import { factsProjection } from './facts.ts';
import { memoriesProjection } from './memories.ts';

/** Every projection, in a fixed order (the order they are applied within a batch). */
export const allProjections: readonly Projection[] = [
  accountsProjection,
  agentsProjection,
  roomsProjection,
  messagesProjection,
  knowledgeProjection,
  factsProjection,
  memoriesProjection,
];
