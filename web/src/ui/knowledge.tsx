import { useEffect, useState } from 'preact/hooks';
import { describeError } from '../api/errors.ts';
import { toBase64 } from '../api/files.ts';
import type { Agent, KnowledgeDocument, KnowledgeHit } from '../api/types.ts';
import { ErrorText, FormErrors, formFailure, Notice, ScreenTitle, type FormFailure } from './common.tsx';
import { useApp } from './context.ts';
import { href } from './route.ts';

/** An agent's knowledge documents: add (text or a .txt/.md file), list, delete, and try a search. */
export function KnowledgeScreen({ agentId }: { agentId?: string }) {
  const { api } = useApp();
  const [agents, setAgents] = useState<Agent[]>([]);
  const [docs, setDocs] = useState<KnowledgeDocument[]>([]);
  /** Whether the server fetches documents by URL: the field is offered only then. */
  const [urlAllowed, setUrlAllowed] = useState(false);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const current = agentId ?? agents[0]?.id;

  useEffect(() => {
    api.agents().then(setAgents, (e) => setError(describeError(e)));
  }, []);
  const reload = () =>
    current
      ? api.knowledge(current).then(
          (r) => (setDocs(r.documents), setUrlAllowed(r.urlAllowed === true)),
          (e) => setError(describeError(e)),
        )
      : Promise.resolve();
  useEffect(() => {
    setDocs([]);
    void reload();
  }, [current]);

  return (
    <div class="screen">
      <ScreenTitle>Knowledge</ScreenTitle>
      <label>
        Agent
        <select value={current} onChange={(e) => (location.hash = href('knowledge', e.currentTarget.value))}>
          {agents.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      </label>
      <ErrorText error={error} />
      <Notice text={notice} />
      {current && (
        <>
          <AddDocument
            agentId={current}
            urlAllowed={urlAllowed}
            onAdded={(d) => {
              setNotice(`"${d.title}" added: ${d.chunks} chunk${d.chunks === 1 ? '' : 's'} embedded`);
              void reload();
            }}
          />
          <h2>Documents</h2>
          {docs.length === 0 ? (
            <p class="muted">No documents.</p>
          ) : (
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  <th scope="col">Chunks</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {docs.map((d) => (
                  <tr key={d.id} data-testid="document">
                    <td>{d.title}</td>
                    <td>{d.chunks}</td>
                    <td>
                      <button
                        type="button"
                        class="danger"
                        aria-label={`Delete ${d.title}`}
                        onClick={async () => {
                          try {
                            await api.deleteKnowledge(current, d.id);
                            setNotice(`"${d.title}" deleted`);
                            await reload();
                          } catch (err) {
                            setError(describeError(err));
                          }
                        }}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <SearchKnowledge agentId={current} />
        </>
      )}
    </div>
  );
}

function AddDocument({ agentId, urlAllowed, onAdded }: { agentId: string; urlAllowed: boolean; onAdded: (d: KnowledgeDocument) => void }) {
  const { api } = useApp();
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  // A PDF is read on the server: its bytes go as base64 instead of the text.
  const [pdf, setPdf] = useState<{ name: string; base64: string }>();
  const [url, setUrl] = useState('');
  const [failure, setFailure] = useState<FormFailure>();
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<{ done: number; total: number }>();

  // The API answers once every chunk is embedded; meanwhile the document list says how far it got.
  useEffect(() => {
    if (!busy) return setProgress(undefined);
    const wanted = title.trim();
    const timer = setInterval(async () => {
      const docs = await api.knowledge(agentId).then(
        (r) => r.documents,
        () => [],
      );
      const d = docs.find((x) => x.status === 'ingesting' && x.title === wanted);
      if (d && d.embeddedChunks !== undefined) setProgress({ done: d.embeddedChunks, total: d.chunks });
    }, 1000);
    return () => clearInterval(timer);
  }, [busy]);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setFailure(undefined);
    try {
      const d = pdf
        ? await api.addKnowledgeFile(agentId, title.trim(), { contentType: 'application/pdf', base64: pdf.base64 })
        : urlAllowed && url.trim()
          ? await api.addKnowledgeUrl(agentId, title.trim(), url.trim())
          : await api.addKnowledge(agentId, title.trim(), text);
      setTitle('');
      setText('');
      setUrl('');
      setPdf(undefined);
      onAdded(d);
    } catch (err) {
      setFailure(formFailure(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} class="stack">
      <h2>Add a document</h2>
      <label>
        Title
        <input required maxLength={500} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
      </label>
      {pdf ? (
        <p>
          PDF: {pdf.name}{' '}
          <button type="button" onClick={() => setPdf(undefined)}>
            Remove
          </button>
        </p>
      ) : (
        <label>
          Text
          <textarea required={!(urlAllowed && url.trim())} rows={6} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
      )}
      {!pdf && urlAllowed && (
        <label>
          Or fetch it from a URL (hosts the server allows)
          <input type="url" placeholder="https://docs.example.com/guide.md" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
        </label>
      )}
      <label>
        Or load a file (.txt, .md, .pdf)
        <input
          type="file"
          accept=".txt,.md,.markdown,.pdf,text/plain,text/markdown,application/pdf"
          onChange={async (e) => {
            const f = e.currentTarget.files?.[0];
            if (!f) return;
            if (/\.pdf$/i.test(f.name) || f.type === 'application/pdf') setPdf({ name: f.name, base64: toBase64(new Uint8Array(await f.arrayBuffer())) });
            else setPdf(undefined), setText(await f.text());
            if (!title) setTitle(f.name.replace(/\.(txt|md|markdown|pdf)$/i, ''));
          }}
        />
      </label>
      <FormErrors failure={failure} subject="The document" />
      {busy &&
        (progress ? (
          <p>
            <progress aria-label="Ingesting the document" value={progress.done} max={progress.total} /> {progress.done} of {progress.total} chunks embedded
          </p>
        ) : (
          <progress aria-label="Ingesting the document" />
        ))}
      <button type="submit" disabled={busy}>
        {busy ? 'Ingesting…' : 'Add document'}
      </button>
    </form>
  );
}

function SearchKnowledge({ agentId }: { agentId: string }) {
  const { api } = useApp();
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<KnowledgeHit[] | undefined>();
  const [error, setError] = useState<string>();

  async function submit(e: Event) {
    e.preventDefault();
    setError(undefined);
    try {
      setHits(await api.searchKnowledge(agentId, q, 5));
    } catch (err) {
      setError(describeError(err));
    }
  }

  return (
    <section>
      <h2>Try a search</h2>
      <form onSubmit={submit} class="row">
        <label class="grow">
          Query
          <input type="search" required value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      <ErrorText error={error} />
      {hits && (
        <ol class="hits" aria-label="Search results">
          {hits.length === 0 && <li class="muted">Nothing found.</li>}
          {hits.map((h, i) => (
            <li key={i}>
              <strong>{h.title}</strong> <small>score {h.score.toFixed(3)}</small>
              <p>{h.text}</p>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
