/**
 * Submit a job from a form or as pasted YAML. Both are checked in the browser with the core's own parser
 * (src/core/job-spec.ts, bundled), so the form reports exactly the errors the API would, before sending anything.
 */
import { useState, type FormEvent } from 'react';
import { ACCELERATORS } from '../../../src/core/accelerators.ts';
import { PRIORITY_CLASSES } from '../../../src/core/domain.ts';
import { API_VERSION, parseJobSpec, parseJobSpecText, type FieldError } from '../../../src/core/job-spec.ts';
import { ApiError, type Job, type Project } from '../api.ts';
import { ErrorNotice } from '../components/Notice.tsx';
import type { MessageKey } from '../i18n/messages.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { useLoad } from '../load.ts';
import { useRouter } from '../router.tsx';
import { useSession } from '../session.tsx';

interface FormState {
  name: string;
  project: string;
  model: string;
  acceleratorsPerNode: string;
  nodes: string;
  timeLimit: string;
  priorityClass: string;
  domesticOnly: boolean;
  maxFen: string;
  script: string;
}

const INITIAL: FormState = {
  name: 'hello',
  project: 'demo',
  model: 'H100-SXM',
  acceleratorsPerNode: '1',
  nodes: '1',
  timeLimit: '10m',
  priorityClass: 'normal',
  domesticOnly: false,
  maxFen: '',
  script: 'echo "hello from $SUANLI_ACCELERATOR_MODEL"\nsleep 2\necho done\n',
};

const YAML_EXAMPLE = `apiVersion: ${API_VERSION}
kind: Job
metadata:
  name: hello-yaml
  project: demo
spec:
  resources:
    accelerator: { model: Ascend-910B }
    acceleratorsPerNode: 1
  timeLimit: 5m
  script: |
    echo "hello from $SUANLI_ACCELERATOR_MODEL"
`;

/** Numbers typed into the form stay strings when they are not numbers, so the parser names the field. */
const numeric = (text: string): unknown => (/^\d+$/.test(text.trim()) ? Number(text) : text);

function toWire(form: FormState): unknown {
  const constraints = {
    ...(form.domesticOnly ? { domesticOnly: true } : {}),
    ...(form.maxFen.trim() ? { maxFenPerAcceleratorHour: numeric(form.maxFen) } : {}),
  };
  return {
    apiVersion: API_VERSION,
    kind: 'Job',
    metadata: { name: form.name, project: form.project },
    spec: {
      resources: {
        ...(form.model ? { accelerator: { model: form.model } } : {}),
        acceleratorsPerNode: numeric(form.acceleratorsPerNode),
        nodes: numeric(form.nodes),
      },
      timeLimit: numeric(form.timeLimit),
      script: form.script,
      priorityClass: form.priorityClass,
      ...(Object.keys(constraints).length ? { constraints } : {}),
    },
  };
}

/** Which form field shows a parser error (by the error's dotted path). */
const FIELD_OF: Array<[RegExp, keyof FormState]> = [
  [/^metadata\.name/, 'name'],
  [/^metadata\.project/, 'project'],
  [/^spec\.resources\.accelerator/, 'model'],
  [/^spec\.resources\.acceleratorsPerNode/, 'acceleratorsPerNode'],
  [/^spec\.resources\.nodes/, 'nodes'],
  [/^spec\.timeLimit/, 'timeLimit'],
  [/^spec\.priorityClass/, 'priorityClass'],
  [/^spec\.constraints\.domesticOnly/, 'domesticOnly'],
  [/^spec\.constraints\.maxFenPerAcceleratorHour/, 'maxFen'],
  [/^spec\.(script|command)/, 'script'],
];

function errorsByField(errors: FieldError[]): Partial<Record<keyof FormState, string>> {
  const result: Partial<Record<keyof FormState, string>> = {};
  for (const e of errors) {
    const field = FIELD_OF.find(([pattern]) => pattern.test(e.field))?.[1];
    if (field) result[field] = result[field] ? `${result[field]}; ${e.message}` : e.message;
  }
  return result;
}

export function Submit() {
  const { api, user } = useSession();
  const { t } = useI18n();
  const { navigate } = useRouter();
  const projects = useLoad(
    () => api<{ items: Project[] }>(`/tenants/${encodeURIComponent(user.tenantId ?? '')}/projects`),
    [api, user.tenantId],
  );
  const [mode, setMode] = useState<'form' | 'yaml'>('form');
  const [form, setForm] = useState<FormState>(INITIAL);
  const [yaml, setYaml] = useState(YAML_EXAMPLE);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [failure, setFailure] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => setForm((f) => ({ ...f, [key]: value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    const body = mode === 'form' ? toWire(form) : yaml;
    const parsed = mode === 'form' ? parseJobSpec(body) : parseJobSpecText(yaml);
    if (!parsed.ok) {
      setErrors(parsed.errors);
      return;
    }
    setErrors([]);
    setBusy(true);
    try {
      const job = await api<Job>('/jobs', { method: 'POST', body });
      navigate(`/jobs/${encodeURIComponent(job.id)}`);
    } catch (e) {
      // The API checks what the browser cannot (the project exists): show its field errors the same way.
      if (e instanceof ApiError && e.problem.errors?.length) setErrors(e.problem.errors);
      else setFailure(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  };

  const fieldErrors = errorsByField(errors);
  const unplaced = mode === 'yaml' ? errors : errors.filter((e) => !FIELD_OF.some(([p]) => p.test(e.field)));
  const described = (key: keyof FormState, help?: string) => {
    const ids = [help, fieldErrors[key] ? `${key}-error` : undefined].filter(Boolean).join(' ');
    return { id: key, 'aria-invalid': Boolean(fieldErrors[key]), ...(ids ? { 'aria-describedby': ids } : {}) };
  };
  const fieldError = (key: keyof FormState) =>
    fieldErrors[key] ? (
      <span id={`${key}-error`} className="field-error">
        {fieldErrors[key]}
      </span>
    ) : null;

  return (
    <section>
      <h1>{t('submit.heading')}</h1>
      <fieldset className="mode">
        <legend>{t('submit.modeLabel')}</legend>
        <label className="check">
          <input type="radio" name="mode" checked={mode === 'form'} onChange={() => setMode('form')} />
          {t('submit.modeForm')}
        </label>
        <label className="check">
          <input type="radio" name="mode" checked={mode === 'yaml'} onChange={() => setMode('yaml')} />
          {t('submit.modeYaml')}
        </label>
      </fieldset>
      <form onSubmit={(e) => void submit(e)} noValidate className="card">
        {unplaced.length > 0 && (
          <div className="notice error" role="alert">
            <p>{t('submit.invalid')}</p>
            <ul>
              {unplaced.map((e) => (
                <li key={`${e.field}:${e.message}`}>
                  {e.field && <code>{e.field}</code>} {e.message}
                </li>
              ))}
            </ul>
          </div>
        )}
        {mode === 'yaml' ? (
          <>
            <label htmlFor="yaml">{t('submit.yaml')}</label>
            <textarea id="yaml" rows={16} spellCheck={false} value={yaml} onChange={(e) => setYaml(e.target.value)} />
          </>
        ) : (
          <div className="form-grid">
            <div>
              <label htmlFor="name">{t('submit.name')}</label>
              <input
                {...described('name', 'name-help')}
                value={form.name}
                onChange={(e) => set('name', e.target.value)}
              />
              <span id="name-help" className="hint">
                {t('submit.nameHelp')}
              </span>
              {fieldError('name')}
            </div>
            <div>
              <label htmlFor="project">{t('submit.project')}</label>
              <select {...described('project')} value={form.project} onChange={(e) => set('project', e.target.value)}>
                {(projects.data?.items ?? [{ id: 'demo', name: form.project }]).map((p) => (
                  <option key={p.id} value={p.name}>
                    {p.name}
                  </option>
                ))}
              </select>
              {fieldError('project')}
            </div>
            <div>
              <label htmlFor="model">{t('submit.model')}</label>
              <select {...described('model')} value={form.model} onChange={(e) => set('model', e.target.value)}>
                <option value="">{t('submit.anyModel')}</option>
                {ACCELERATORS.map((a) => (
                  <option key={a.model} value={a.model}>
                    {a.model} ({a.vendor})
                  </option>
                ))}
              </select>
              {fieldError('model')}
            </div>
            <div>
              <label htmlFor="acceleratorsPerNode">{t('submit.perNode')}</label>
              <input
                {...described('acceleratorsPerNode')}
                inputMode="numeric"
                value={form.acceleratorsPerNode}
                onChange={(e) => set('acceleratorsPerNode', e.target.value)}
              />
              {fieldError('acceleratorsPerNode')}
            </div>
            <div>
              <label htmlFor="nodes">{t('submit.nodes')}</label>
              <input
                {...described('nodes')}
                inputMode="numeric"
                value={form.nodes}
                onChange={(e) => set('nodes', e.target.value)}
              />
              {fieldError('nodes')}
            </div>
            <div>
              <label htmlFor="timeLimit">{t('submit.timeLimit')}</label>
              <input
                {...described('timeLimit', 'timeLimit-help')}
                value={form.timeLimit}
                onChange={(e) => set('timeLimit', e.target.value)}
              />
              <span id="timeLimit-help" className="hint">
                {t('submit.timeLimitHelp')}
              </span>
              {fieldError('timeLimit')}
            </div>
            <div>
              <label htmlFor="priorityClass">{t('submit.class')}</label>
              <select
                {...described('priorityClass')}
                value={form.priorityClass}
                onChange={(e) => set('priorityClass', e.target.value)}
              >
                {PRIORITY_CLASSES.map((c) => (
                  <option key={c} value={c}>
                    {t(`class.${c}` as MessageKey)}
                  </option>
                ))}
              </select>
              {fieldError('priorityClass')}
            </div>
            <div>
              <label htmlFor="maxFen">{t('submit.maxPrice')}</label>
              <input
                {...described('maxFen')}
                inputMode="numeric"
                value={form.maxFen}
                onChange={(e) => set('maxFen', e.target.value)}
              />
              {fieldError('maxFen')}
            </div>
            <div className="wide">
              <label className="check">
                <input
                  type="checkbox"
                  {...described('domesticOnly')}
                  checked={form.domesticOnly}
                  onChange={(e) => set('domesticOnly', e.target.checked)}
                />
                {t('submit.domesticOnly')}
              </label>
              {fieldError('domesticOnly')}
            </div>
            <div className="wide">
              <label htmlFor="script">{t('submit.script')}</label>
              <textarea
                {...described('script')}
                rows={6}
                spellCheck={false}
                value={form.script}
                onChange={(e) => set('script', e.target.value)}
              />
              {fieldError('script')}
            </div>
          </div>
        )}
        <ErrorNotice error={failure} />
        <button type="submit" disabled={busy}>
          {t('submit.send')}
        </button>
      </form>
    </section>
  );
}
