import { pick } from './text.ts';

/**
 * Classic ELIZA (Weizenbaum, 1966) decomposition/reassembly rules with pronoun reflection: the last
 * resort when neither the character nor its knowledge has anything to say about the user's text.
 */
const REFLECT: Record<string, string> = {
  i: 'you',
  me: 'you',
  my: 'your',
  mine: 'yours',
  myself: 'yourself',
  am: 'are',
  "i'm": "you're",
  "i've": "you've",
  "i'll": "you'll",
  "i'd": "you'd",
  you: 'I',
  your: 'my',
  yours: 'mine',
  yourself: 'myself',
  are: 'am',
  "you're": "I'm",
  "you've": "I've",
  "you'll": "I'll",
  "you'd": "I'd",
  was: 'were',
  were: 'was',
};

export function reflect(fragment: string): string {
  return fragment
    .split(/(\s+)/)
    .map((tok) => {
      const m = /^([\p{L}']+)([^\p{L}']*)$/u.exec(tok);
      if (!m) return tok;
      const r = REFLECT[m[1].toLowerCase()];
      return r ? r + m[2] : tok;
    })
    .join('')
    .replace(/[.!?]+$/, '')
    .trim();
}

type Rule = [RegExp, string[]];

const RULES: Rule[] = [
  [/\bi need (.+)/i, ['Why do you need {0}?', 'Would it really help you to get {0}?', 'Are you sure you need {0}?']],
  [/\bwhy don'?t you (.+)/i, ["Do you really think I don't {0}?", 'Perhaps eventually I will {0}.', 'Do you really want me to {0}?']],
  [/\bwhy can'?t i (.+)/i, ['Do you think you should be able to {0}?', 'If you could {0}, what would you do?', 'What stops you from trying to {0}?']],
  [/\bi can'?t (.+)/i, ["How do you know you can't {0}?", 'Perhaps you could {0} if you tried.', 'What would it take for you to {0}?']],
  [/\bi am (.+)/i, ['How long have you been {0}?', 'How do you feel about being {0}?', 'Why do you tell me you are {0}?']],
  [/\bi'?m (.+)/i, ['How does being {0} make you feel?', 'Do you enjoy being {0}?', 'Why do you say you are {0}?']],
  [/\bare you (.+)/i, ['Why does it matter whether I am {0}?', 'Would you prefer it if I were not {0}?', 'Perhaps you believe I am {0}.']],
  [/\bi feel (.+)/i, ['Tell me more about feeling {0}.', 'Do you often feel {0}?', 'When do you usually feel {0}?']],
  [/\bi (?:want|would like) (.+)/i, ['What would it mean to you if you got {0}?', 'Why do you want {0}?', 'What would you do if you got {0}?']],
  [/\bi think (.+)/i, ['Do you doubt {0}?', 'Do you really think so?', 'But you are not sure {0}?']],
  [/\bbecause (.+)/i, ['Is that the real reason?', 'What other reasons come to mind?', 'Does that reason apply to anything else?']],
  [/\bcan you (.+)/i, ['I can tell you what I know, and I may not know how to {0}. What exactly do you need?', 'What makes you think I can {0}?']],
  [/\bcan i (.+)/i, ["Perhaps you don't want to {0}.", 'Do you want to be able to {0}?', 'If you could {0}, would you?']],
  [/\byou are (.+)/i, ['Why do you think I am {0}?', 'Does it please you to think that I am {0}?', 'Perhaps you would like me to be {0}.']],
  [/\bmy (mother|father|mom|dad|family|brother|sister|friend|partner|boss)\b(.*)/i, ['Tell me more about your {0}.', 'How do you get along with your {0}?']],
  [
    /^(?:please\s+)?tell me (?:about\s+)?(.+)/i,
    [
      "I don't know much about {0} beyond what we have talked about. What would you like to know?",
      'I have nothing on {0} in what I know. What made you think of it?',
    ],
  ],
  [/\bsorry\b/i, ['There is no need to apologise.', 'Apologies are not necessary. What is on your mind?']],
  [/\b(yes|yeah|yep)\b/i, ['You seem quite sure.', 'OK — tell me more.']],
  [/\b(no|nope)\b/i, ['Why not?', 'You are being a bit negative. Can you say more?']],
  [
    /^(?:what|who|where|when|which|how)\b(.*)\?*$/i,
    [
      "That is a good question, and I don't have an answer to it in what I know. Could you tell me more about what you are looking for?",
      "I don't know that from my knowledge. What do you think?",
    ],
  ],
  [/\?\s*$/, ['Why do you ask?', 'What do you think?', "I don't have an answer for that in what I know. What made you wonder?"]],
];

const DEFAULTS = [
  'Please tell me more.',
  "Let's explore that. Why do you say that?",
  'I see. And how does that make you feel?',
  'How do you feel when you say that?',
  "Go on — I'm listening.",
];

export function elizaReply(text: string): string {
  const t = text.trim();
  for (const [re, answers] of RULES) {
    const m = re.exec(t);
    if (!m) continue;
    const fragment = reflect((m[1] ?? '').slice(0, 200));
    return pick(answers, t).replace('{0}', fragment || 'that');
  }
  return pick(DEFAULTS, t);
}
