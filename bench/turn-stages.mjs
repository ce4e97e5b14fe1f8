/**
 * Stage shares of an agent's turn in a CPU profile: `node bench/turn-stages.mjs <file.cpuprofile>...`
 * (profiles from e.g. `node --cpu-prof --import tsx bench/actors.ts`). Each sample under runTurn goes to
 * the first frame below it that names a stage (src/actors/turn/<stage>.ts, or the old monolith's functions).
 */
import { readFileSync } from 'node:fs';
const files = process.argv.slice(2);
const RULES = [
  ['mailbox', /mailbox-outcomes/],
  ['read back message + request (removed)', /^(messageById|callerRequest|getById) /],
  ['agent context lookup', /agentContext|agent-contexts\.ts/],
  ['decide', /turn\/decide\.ts|^shouldRespondByRules |^parseShouldRespond /],
  ['plugin runtime (build)', /turn\/plugin-runtime\.ts|^createElizaRuntime |^makeRuntime |^eliza |^build .*eliza-runtime/],
  ['retrieve + providers', /turn\/retrieve\.ts|^composeProviders |^listDocuments |^embedForKnowledge /],
  [
    'generate (streamed)',
    /turn\/generate\.ts|model-call\.ts|^streamWithRetries |resilient\.ts|^buildMessages |^buildPromptContext |Subject\.next|^flushDeltas /,
  ],
  ['act', /turn\/act\.ts|^findAction |bootstrap\/actions\.ts|^parseResponse /],
  ['evaluators', /turn\/evaluators\.ts|^runEvaluators |reflection\.ts/],
  [
    'outcome events (build + append)',
    /turn\/outcome-events\.ts|turn\/turn-state\.ts|^appendFailure |^appendAgentEffects |sqlite-event-store\.ts|streams\.ts|shared\/ids\.ts/,
  ],
];
for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const dt = new Map();
  for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const agg = new Map();
  let turnT = 0,
    all = 0;
  for (const n of p.nodes) {
    const t = dt.get(n.id) ?? 0;
    if (!t) continue;
    const cf0 = n.callFrame;
    if (cf0.functionName !== '(idle)' && cf0.functionName !== '(program)') all += t;
    const stack = [];
    for (let id = n.id; id !== undefined; id = parent.get(id)) stack.push(byId.get(id).callFrame);
    stack.reverse();
    const i = stack.findIndex((c) => c.functionName === 'runTurn');
    if (i < 0) continue;
    turnT += t;
    let stage = 'orchestration + other';
    for (const c of stack.slice(i + 1)) {
      const k = `${c.functionName || '(anon)'} ${c.url}`;
      const hit = RULES.find(([, re]) => re.test(k));
      if (hit) {
        stage = hit[0];
        break;
      }
      if (!c.url.includes('run-turn.ts')) break;
    }
    agg.set(stage, (agg.get(stage) ?? 0) + t);
  }
  console.log(`${file.split('/').slice(-2).join('/')}: turn = ${((100 * turnT) / all).toFixed(1)} % of busy CPU (${(turnT / 1e6).toFixed(2)} s)`);
  for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1])) console.log(`  ${((100 * v) / turnT).toFixed(1).padStart(5)} %  ${k}`);
}
