import { z } from 'zod';

/**
 * ElizaOS 1.x character JSON (see shared/ELIZAOS-REFERENCE.md §3). Strict like ElizaOS's own schema,
 * except that `lore` is accepted because Chronicle's API contract lists it (v0.x characters carry it).
 */
const Content = z
  .object({
    text: z.string().optional(),
    thought: z.string().optional(),
    actions: z.array(z.string()).optional(),
    providers: z.array(z.string()).optional(),
    source: z.string().optional(),
    target: z.string().optional(),
    url: z.string().optional(),
    inReplyTo: z.string().optional(),
    attachments: z.array(z.unknown()).optional(),
    channelType: z.string().optional(),
  })
  .catchall(z.unknown());

const MessageExample = z.object({ name: z.string(), content: Content });

const KnowledgeItem = z.union([
  z.string(),
  z.object({ path: z.string(), shared: z.boolean().optional() }).strict(),
  z.object({ directory: z.string(), shared: z.boolean().optional() }).strict(),
]);

const SettingValue: z.ZodType<unknown> = z.union([z.string(), z.boolean(), z.number(), z.null(), z.array(z.unknown()), z.record(z.string(), z.unknown())]);

export const CharacterSchema = z
  .object({
    id: z.string().optional(),
    name: z.string().trim().min(1, 'name must not be empty').max(100),
    username: z.string().optional(),
    system: z.string().optional(),
    bio: z.union([z.string(), z.array(z.string())]),
    lore: z.array(z.string()).optional(),
    messageExamples: z.array(z.array(MessageExample)).optional(),
    postExamples: z.array(z.string()).optional(),
    topics: z.array(z.string()).optional(),
    adjectives: z.array(z.string()).optional(),
    knowledge: z.array(KnowledgeItem).optional(),
    plugins: z.array(z.string()).optional(),
    settings: z
      .object({ secrets: z.record(z.string(), z.union([z.string(), z.boolean(), z.number()])).optional() })
      .catchall(SettingValue)
      .optional(),
    secrets: z.record(z.string(), z.union([z.string(), z.boolean(), z.number()])).optional(),
    style: z
      .object({
        all: z.array(z.string()).optional(),
        chat: z.array(z.string()).optional(),
        post: z.array(z.string()).optional(),
      })
      .strict()
      .optional(),
    templates: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export type Character = z.infer<typeof CharacterSchema>;
