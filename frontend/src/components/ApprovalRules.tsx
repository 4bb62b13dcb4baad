'use client';
/** Approval rules (admins, issue #19): which proposals need a manager's approval before they are sent. */
import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import type { MessageKey } from '@/lib/messages';
import { ApprovalRulesApi, EMPTY_RULE, RULE_KINDS, ruleBody, ruleForm, usesThreshold, type ApprovalRule, type RuleForm, type RuleKind } from '@/lib/review';
import { Alert, describedBy, Field, Loading } from './ui';

type ListState = 'loading' | 'ready' | 'forbidden' | 'error';

export function ApprovalRules() {
  const { api, t, describeError, principal, formatNumber } = useApp();
  const client = useMemo(() => new ApprovalRulesApi(api), [api]);
  const [state, setState] = useState<ListState>('loading');
  const [rules, setRules] = useState<ApprovalRule[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null); // a rule's id, 'new', or null
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);

  const load = useCallback(async () => {
    if (principal && !principal.admin) {
      setState('forbidden');
      return;
    }
    try {
      setRules(await client.list());
      setState('ready');
    } catch (caught) {
      if (caught instanceof ApiError && caught.kind === 'forbidden') setState('forbidden');
      else {
        setLoadError(describeError(caught));
        setState('error');
      }
    }
  }, [client, describeError, principal]);

  useEffect(() => {
    void load();
  }, [load]);

  if (state === 'loading') return <Loading />;
  if (state === 'forbidden') return <Alert kind="warning">{t('rules.adminOnly')}</Alert>;
  if (state === 'error') {
    return (
      <Alert
        action={
          <button type="button" onClick={() => void load()}>
            {t('common.retry')}
          </button>
        }
      >
        {loadError}
      </Alert>
    );
  }

  function condition(rule: ApprovalRule): string {
    if (rule.kind === 'discount_above') return `${t('rules.kind.discount_above')} ${formatNumber(rule.threshold ?? '0')}`;
    if (rule.kind === 'total_above') return `${t('rules.kind.total_above')} ${formatNumber(rule.threshold ?? '0')} ${rule.currency ?? t('rules.anyCurrency')}`;
    return `${t(`rules.kind.${rule.kind}`)}: ${rule.value ?? ''}`;
  }

  async function remove(rule: ApprovalRule) {
    setNotice(null);
    try {
      await client.remove(rule.id);
      setNotice({ kind: 'success', text: t('rules.deleted') });
      await load();
    } catch (caught) {
      setNotice({ kind: 'error', text: describeError(caught) });
    }
  }

  async function saved() {
    setEditing(null);
    setNotice({ kind: 'success', text: t('rules.saved') });
    await load();
  }

  return (
    <div className="approval-rules">
      <p>{t('rules.intro')}</p>
      {notice && <Alert kind={notice.kind}>{notice.text}</Alert>}
      {rules.length === 0 ? (
        <p className="muted">{t('rules.none')}</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('rules.name')}</th>
                <th scope="col">{t('rules.condition')}</th>
                <th scope="col">{t('rules.enabled')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('rules.edit')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rules.map((rule) => (
                <tr key={rule.id} data-rule={rule.id}>
                  <td>{rule.name}</td>
                  <td>{condition(rule)}</td>
                  <td>{rule.enabled ? t('rules.on') : t('rules.off')}</td>
                  <td>
                    <button type="button" className="button-secondary" onClick={() => setEditing(rule.id)} aria-label={`${t('rules.edit')}: ${rule.name}`}>
                      {t('rules.edit')}
                    </button>{' '}
                    <button type="button" className="button-secondary" onClick={() => void remove(rule)} aria-label={`${t('rules.delete')}: ${rule.name}`}>
                      {t('rules.delete')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editing === null ? (
        <button type="button" onClick={() => setEditing('new')}>
          {t('rules.create')}
        </button>
      ) : (
        <RuleEditor
          key={editing}
          initial={editing === 'new' ? EMPTY_RULE : ruleForm(rules.find((rule) => rule.id === editing) ?? rules[0]!)}
          save={(body) => (editing === 'new' ? client.create(body) : client.replace(editing, body))}
          onSaved={saved}
          onCancel={() => setEditing(null)}
        />
      )}
    </div>
  );
}

function RuleEditor({
  initial,
  save,
  onSaved,
  onCancel,
}: {
  initial: RuleForm;
  save: (body: Parameters<ApprovalRulesApi['create']>[0]) => Promise<unknown>;
  onSaved: () => Promise<void>;
  onCancel: () => void;
}) {
  const { t, describeError } = useApp();
  const [form, setForm] = useState<RuleForm>(initial);
  const [problems, setProblems] = useState<Partial<Record<keyof RuleForm, MessageKey>>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (change: Partial<RuleForm>) => setForm((current) => ({ ...current, ...change }));
  const problem = (field: keyof RuleForm) => (problems[field] ? t(problems[field]) : undefined);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const checked = ruleBody(form);
    if ('problems' in checked) {
      setProblems(checked.problems);
      return;
    }
    setProblems({});
    setBusy(true);
    setError(null);
    try {
      await save(checked.body);
      await onSaved();
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="card" aria-label={t('rules.create')} noValidate>
      {error && <Alert>{error}</Alert>}
      <Field id="rule-name" label={t('rules.name')} error={problem('name')}>
        <input id="rule-name" value={form.name} maxLength={200} aria-describedby={describedBy('rule-name', false, problem('name'))} onChange={(event) => set({ name: event.target.value })} />
      </Field>
      <Field id="rule-kind" label={t('rules.kind')}>
        <select id="rule-kind" value={form.kind} onChange={(event) => set({ kind: event.target.value as RuleKind })}>
          {RULE_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {t(`rules.kind.${kind}`)}
            </option>
          ))}
        </select>
      </Field>
      {usesThreshold(form.kind) ? (
        <Field id="rule-threshold" label={t('rules.threshold')} error={problem('threshold')}>
          <input id="rule-threshold" inputMode="decimal" value={form.threshold} aria-describedby={describedBy('rule-threshold', false, problem('threshold'))} onChange={(event) => set({ threshold: event.target.value })} />
        </Field>
      ) : (
        <Field id="rule-value" label={t('rules.value')} error={problem('value')}>
          <input id="rule-value" value={form.value} maxLength={200} aria-describedby={describedBy('rule-value', false, problem('value'))} onChange={(event) => set({ value: event.target.value })} />
        </Field>
      )}
      {form.kind === 'total_above' && (
        <Field id="rule-currency" label={t('rules.currency')} error={problem('currency')}>
          <input id="rule-currency" value={form.currency} maxLength={3} aria-describedby={describedBy('rule-currency', false, problem('currency'))} onChange={(event) => set({ currency: event.target.value })} />
        </Field>
      )}
      <div className="field">
        <label>
          <input type="checkbox" checked={form.enabled} onChange={(event) => set({ enabled: event.target.checked })} /> {t('rules.enabled')}
        </label>
      </div>
      <div className="form-actions">
        <button type="submit" disabled={busy}>
          {t('rules.save')}
        </button>
        <button type="button" className="button-secondary" onClick={onCancel}>
          {t('rules.cancel')}
        </button>
      </div>
    </form>
  );
}
