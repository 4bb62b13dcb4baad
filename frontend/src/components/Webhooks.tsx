'use client';
/** Webhook endpoints (admins): list them (one disabled after failures says why and when), register one (its secret
 * shown once), edit one, make it a new secret (shown once; the old one signs for a while), delete one, read an
 * endpoint's delivery log and send a delivery again. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import type { WebhookDelivery, WebhookEndpoint, WebhookEndpointChange } from '@/lib/types';
import { describeTry, endpointState, lastTry, WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@/lib/webhooks';
import { SecretShownOnce } from './SecretShownOnce';
import { Alert, describedBy, Field, Loading, NotAvailable, useFocusLater } from './ui';

type ListState = 'loading' | 'ready' | 'missing' | 'forbidden' | 'error';
/** What an endpoint's row has open below it: nothing, the delivery log, the edit form, or a confirmation. */
type Panel = 'deliveries' | 'edit' | 'rotate' | 'delete';
// The panels an endpoint's own buttons open, in the order they stand (each button named after its endpoint's URL).
const PANEL_ACTIONS = ['edit', 'rotate', 'delete'] as const satisfies readonly Panel[];
const KEEP_PREVIOUS_HOURS = [24, 1, 0] as const;

export function Webhooks() {
  const { api, t, describeError, principal, formatDate } = useApp();
  const [state, setState] = useState<ListState>('loading');
  const [items, setItems] = useState<WebhookEndpoint[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  // A secret lives here only while its box is on screen; dismissing the box drops it.
  const [created, setCreated] = useState<{ url: string; secret: string } | null>(null);
  const [rotated, setRotated] = useState<{ id: string; url: string; secret: string; until: string | null } | null>(null);
  const [open, setOpen] = useState<{ id: string; panel: Panel } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const focusLater = useFocusLater();

  const load = useCallback(async () => {
    if (principal && !principal.admin) {
      setState('forbidden');
      return;
    }
    try {
      setItems((await api.listWebhooks()).items);
      setState('ready');
    } catch (caught) {
      if (caught instanceof ApiError && caught.kind === 'forbidden') setState('forbidden');
      else if (caught instanceof ApiError && caught.kind === 'not_found') setState('missing');
      else {
        setLoadError(describeError(caught));
        setState('error');
      }
    }
  }, [api, describeError, principal]);

  useEffect(() => {
    void load();
  }, [load]);

  if (state === 'loading') return <Loading />;
  if (state === 'missing') return <NotAvailable what={t('webhooks.what')} />;
  if (state === 'forbidden') return <Alert kind="warning">{t('webhooks.adminOnly')}</Alert>;
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

  async function enable(endpoint: WebhookEndpoint) {
    try {
      await api.setWebhookEnabled(endpoint.id, true);
      setNotice(t('webhooks.enabledDone', { url: endpoint.url }));
      await load();
    } catch (caught) {
      setNotice(describeError(caught));
    }
  }

  function toggle(id: string, panel: Panel) {
    setOpen(open?.id === id && open.panel === panel ? null : { id, panel });
  }

  function closePanel(endpoint: WebhookEndpoint, button: 'edit' | 'rotate' | 'delete') {
    setOpen(null);
    focusLater(`webhook-${button}-${endpoint.id}`);
  }

  const disabled = items.filter((endpoint) => endpointState(endpoint) === 'disabled');
  return (
    <div className="stack">
      <p className="muted">{t('webhooks.intro')}</p>
      {disabled.length > 0 && (
        <Alert kind="warning" title={t('webhooks.disabledTitle')}>
          {t('webhooks.disabledSome', { count: String(disabled.length) })}
        </Alert>
      )}
      {rotated && (
        <SecretShownOnce
          id="webhook-rotated-secret"
          testId="rotated-webhook-secret"
          title={t('webhooks.rotatedTitle', { url: rotated.url })}
          warning={rotated.until ? t('webhooks.rotatedWarning', { until: formatDate(rotated.until) }) : t('webhooks.rotatedWarningNow')}
          label={t('webhooks.secret')}
          secret={rotated.secret}
          copied={t('webhooks.copied')}
          copyFailed={t('webhooks.copyFailed')}
          dismiss={t('webhooks.dismiss')}
          onDismiss={() => {
            const id = rotated.id;
            setRotated(null);
            focusLater(`webhook-rotate-${id}`);
          }}
        />
      )}
      {created ? (
        <SecretShownOnce
          id="webhook-secret"
          testId="new-webhook"
          title={t('webhooks.createdTitle', { url: created.url })}
          warning={t('webhooks.createdWarning')}
          label={t('webhooks.secret')}
          secret={created.secret}
          copied={t('webhooks.copied')}
          copyFailed={t('webhooks.copyFailed')}
          dismiss={t('webhooks.dismiss')}
          onDismiss={() => {
            setCreated(null);
            focusLater('field-webhook-url');
          }}
        />
      ) : (
        <CreateEndpointForm
          onCreated={(url, secret) => {
            setCreated({ url, secret });
            focusLater('webhook-secret-title');
            void load();
          }}
        />
      )}
      <section className="card" aria-labelledby="webhooks-list-title">
        <h2 id="webhooks-list-title">{t('webhooks.listTitle')}</h2>
        {notice && (
          <Alert kind="info">
            <span role="status">{notice}</span>
          </Alert>
        )}
        {items.length === 0 ? (
          <p className="muted">{t('webhooks.empty')}</p>
        ) : (
          <ul className="webhook-list">
            {items.map((endpoint) => {
              const stateOf = endpointState(endpoint);
              const panel = open?.id === endpoint.id ? open.panel : null;
              return (
                <li key={endpoint.id} data-webhook={endpoint.url}>
                  <div className="row">
                    <code>{endpoint.url}</code>
                    <span className={`badge badge-${stateOf === 'active' ? 'ready' : stateOf === 'failing' ? 'queued' : 'failed'}`}>{t(`webhooks.state.${stateOf}`)}</span>
                  </div>
                  <p className="small muted">
                    {endpoint.event_types.join(', ')}
                    {endpoint.description ? ` · ${endpoint.description}` : ''}
                  </p>
                  {endpoint.disabled_reason && (
                    <p className="small" data-testid="disabled-reason">
                      {endpoint.disabled_at
                        ? t('webhooks.disabledAt', { when: formatDate(endpoint.disabled_at), reason: endpoint.disabled_reason })
                        : endpoint.disabled_reason}
                    </p>
                  )}
                  <div className="row">
                    <button type="button" className="button-secondary" aria-expanded={panel === 'deliveries'} onClick={() => toggle(endpoint.id, 'deliveries')}>
                      {t('webhooks.deliveries')}
                    </button>
                    {PANEL_ACTIONS.map((action) => (
                      <button
                        key={action}
                        type="button"
                        id={`webhook-${action}-${endpoint.id}`}
                        className="button-secondary"
                        aria-expanded={panel === action}
                        aria-label={`${t(`webhooks.${action}`)}: ${endpoint.url}`}
                        onClick={() => toggle(endpoint.id, action)}
                      >
                        {t(`webhooks.${action}`)}
                      </button>
                    ))}
                    {!endpoint.enabled && (
                      <button type="button" onClick={() => void enable(endpoint)}>
                        {t('webhooks.enable')}
                      </button>
                    )}
                  </div>
                  {panel === 'deliveries' && <DeliveryLog endpoint={endpoint} />}
                  {panel === 'edit' && (
                    <EditEndpointForm
                      endpoint={endpoint}
                      onCancel={() => closePanel(endpoint, 'edit')}
                      onSaved={(saved) => {
                        setNotice(t('webhooks.saved', { url: saved.url }));
                        closePanel(endpoint, 'edit');
                        void load();
                      }}
                    />
                  )}
                  {panel === 'rotate' && (
                    <RotateSecret
                      endpoint={endpoint}
                      onCancel={() => closePanel(endpoint, 'rotate')}
                      onRotated={(secret, until) => {
                        setOpen(null);
                        setRotated({ id: endpoint.id, url: endpoint.url, secret, until });
                        focusLater('webhook-rotated-secret-title');
                        void load();
                      }}
                    />
                  )}
                  {panel === 'delete' && (
                    <DeleteEndpoint
                      endpoint={endpoint}
                      onCancel={() => closePanel(endpoint, 'delete')}
                      onDeleted={() => {
                        setOpen(null);
                        setNotice(t('webhooks.deleted', { url: endpoint.url }));
                        focusLater('webhooks-list-title');
                        void load();
                      }}
                    />
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </section>
    </div>
  );
}

/** The edit form of an endpoint: URL, events, description, enabled; only what changed is sent. */
function EditEndpointForm({ endpoint, onCancel, onSaved }: { endpoint: WebhookEndpoint; onCancel: () => void; onSaved: (saved: WebhookEndpoint) => void }) {
  const { api, t, describeError, wordFieldError } = useApp();
  const [url, setUrl] = useState(endpoint.url);
  const [description, setDescription] = useState(endpoint.description);
  const [events, setEvents] = useState<string[]>([...endpoint.event_types]);
  const [enabled, setEnabled] = useState(endpoint.enabled);
  const [errors, setErrors] = useState<{ url?: string; event_types?: string }>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const prefix = `webhook-edit-${endpoint.id}`;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFormError(null);
    const found: typeof errors = {};
    if (!url.trim()) found.url = t('form.required');
    if (events.length === 0) found.event_types = t('webhooks.pickEvent');
    setErrors(found);
    if (found.url || found.event_types) return;
    const changes: WebhookEndpointChange = {};
    if (url.trim() !== endpoint.url) changes.url = url.trim();
    if (description.trim() !== endpoint.description) changes.description = description.trim();
    if ([...events].sort().join() !== [...endpoint.event_types].sort().join()) changes.event_types = events as WebhookEndpointChange['event_types'];
    if (enabled !== endpoint.enabled) changes.enabled = enabled;
    if (Object.keys(changes).length === 0) {
      onCancel();
      return;
    }
    setBusy(true);
    try {
      onSaved(await api.updateWebhook(endpoint.id, changes));
    } catch (caught) {
      if (caught instanceof ApiError && caught.kind === 'invalid') {
        const fields = caught.fieldErrors(wordFieldError);
        setErrors({ url: fields['url'], event_types: fields['event_types'] });
        if (!fields['url'] && !fields['event_types']) setFormError(describeError(caught));
      } else setFormError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate className="webhook-panel" aria-label={t('webhooks.editTitle', { url: endpoint.url })}>
      {formError && <Alert>{formError}</Alert>}
      <Field id={`${prefix}-url`} label={t('webhooks.url')} error={errors.url}>
        <input
          id={`${prefix}-url`}
          type="url"
          value={url}
          maxLength={2000}
          onChange={(event) => setUrl(event.target.value)}
          aria-invalid={errors.url ? true : undefined}
          aria-describedby={describedBy(`${prefix}-url`, false, errors.url)}
        />
      </Field>
      <fieldset className="field">
        <legend>{t('webhooks.events')}</legend>
        {WEBHOOK_EVENT_TYPES.map((type) => (
          <div className="checkbox-field" key={type}>
            <input
              id={`${prefix}-event-${type}`}
              type="checkbox"
              checked={events.includes(type)}
              onChange={(event) => setEvents((current) => (event.target.checked ? [...current, type] : current.filter((item) => item !== type)))}
            />
            <label htmlFor={`${prefix}-event-${type}`}>{t(`webhooks.event.${type}`)}</label>
          </div>
        ))}
        {errors.event_types && <p className="field-error">{errors.event_types}</p>}
      </fieldset>
      <Field id={`${prefix}-description`} label={t('webhooks.description')} optional>
        <input id={`${prefix}-description`} value={description} maxLength={500} onChange={(event) => setDescription(event.target.value)} />
      </Field>
      <div className="checkbox-field">
        <input id={`${prefix}-enabled`} type="checkbox" checked={enabled} onChange={(event) => setEnabled(event.target.checked)} />
        <label htmlFor={`${prefix}-enabled`}>{t('webhooks.enabled')}</label>
      </div>
      <div className="row">
        <button type="submit" disabled={busy}>
          {busy ? t('webhooks.saving') : t('webhooks.save')}
        </button>
        <button type="button" className="button-secondary" onClick={onCancel}>
          {t('webhooks.cancel')}
        </button>
      </div>
    </form>
  );
}

/** The confirmation of a new secret, with how long the current one keeps signing. */
function RotateSecret({ endpoint, onCancel, onRotated }: { endpoint: WebhookEndpoint; onCancel: () => void; onRotated: (secret: string, until: string | null) => void }) {
  const { api, t, describeError } = useApp();
  const [hours, setHours] = useState<number>(24);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const question = `webhook-rotate-question-${endpoint.id}`;

  async function rotate() {
    setBusy(true);
    setError(null);
    try {
      const answer = await api.rotateWebhookSecret(endpoint.id, hours);
      onRotated(answer.secret, hours > 0 ? (answer.previous_secret_expires_at ?? null) : null);
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div role="group" aria-labelledby={question} className="confirm webhook-panel">
      <p id={question}>
        <strong>{t('webhooks.rotateTitle', { url: endpoint.url })}</strong>
      </p>
      <p className="small">{t('webhooks.rotateExplain')}</p>
      {error && <Alert>{error}</Alert>}
      <fieldset className="field">
        <legend>{t('webhooks.keepPrevious')}</legend>
        {KEEP_PREVIOUS_HOURS.map((value) => (
          <div className="checkbox-field" key={value}>
            <input
              id={`webhook-keep-${endpoint.id}-${value}`}
              type="radio"
              name={`webhook-keep-${endpoint.id}`}
              checked={hours === value}
              onChange={() => setHours(value)}
            />
            <label htmlFor={`webhook-keep-${endpoint.id}-${value}`}>{t(`webhooks.keep.${value}`)}</label>
          </div>
        ))}
      </fieldset>
      <div className="row">
        <button type="button" onClick={() => void rotate()} disabled={busy}>
          {t('webhooks.rotateConfirm')}
        </button>
        <button type="button" className="button-secondary" onClick={onCancel}>
          {t('webhooks.cancel')}
        </button>
      </div>
    </div>
  );
}

/** The confirmation of a deletion. */
function DeleteEndpoint({ endpoint, onCancel, onDeleted }: { endpoint: WebhookEndpoint; onCancel: () => void; onDeleted: () => void }) {
  const { api, t, describeError } = useApp();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const question = `webhook-delete-question-${endpoint.id}`;

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await api.deleteWebhook(endpoint.id);
      onDeleted();
    } catch (caught) {
      setError(describeError(caught));
      setBusy(false);
    }
  }

  return (
    <div role="group" aria-labelledby={question} className="confirm webhook-panel">
      <p id={question}>
        <strong>{t('webhooks.deleteTitle', { url: endpoint.url })}</strong>
      </p>
      <p className="small">{t('webhooks.deleteExplain')}</p>
      {error && <Alert>{error}</Alert>}
      <div className="row">
        <button type="button" className="button-danger" onClick={() => void remove()} disabled={busy}>
          {t('webhooks.deleteConfirm')}
        </button>
        <button type="button" className="button-secondary" onClick={onCancel}>
          {t('webhooks.cancel')}
        </button>
      </div>
    </div>
  );
}

function DeliveryLog({ endpoint }: { endpoint: WebhookEndpoint }) {
  const { api, t, describeError, formatDate } = useApp();
  const [items, setItems] = useState<WebhookDelivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setItems((await api.webhookDeliveries(endpoint.id)).items);
    } catch (caught) {
      setError(describeError(caught));
    }
  }, [api, endpoint.id, describeError]);

  useEffect(() => {
    void load();
  }, [load]);

  async function resend(delivery: WebhookDelivery) {
    try {
      await api.resendDelivery(endpoint.id, delivery.id);
      await load();
    } catch (caught) {
      setError(describeError(caught));
    }
  }

  if (error) return <Alert>{error}</Alert>;
  if (items === null) return <Loading />;
  if (items.length === 0) return <p className="muted small">{t('webhooks.noDeliveries')}</p>;
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">{t('webhooks.colEvent')}</th>
            <th scope="col">{t('webhooks.colStatus')}</th>
            <th scope="col">{t('webhooks.colTries')}</th>
            <th scope="col">{t('webhooks.colLastTry')}</th>
            <th scope="col">{t('webhooks.colResponse')}</th>
            <th scope="col">
              <span className="visually-hidden">{t('webhooks.colActions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((delivery) => {
            const latest = lastTry(delivery);
            return (
              <tr key={delivery.id}>
                <th scope="row">
                  {delivery.event_type}
                  <div className="small muted">{formatDate(delivery.created_at)}</div>
                </th>
                <td>{t(`webhooks.status.${delivery.status}`)}</td>
                <td>{delivery.attempts}</td>
                <td>{latest ? describeTry(latest) : '—'}</td>
                <td className="small">
                  <code>{latest?.response_excerpt ?? latest?.error ?? ''}</code>
                </td>
                <td>
                  <button type="button" className="button-secondary" onClick={() => void resend(delivery)}>
                    {t('webhooks.resend')}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function CreateEndpointForm({ onCreated }: { onCreated: (url: string, secret: string) => void }) {
  const { api, t, describeError, wordFieldError } = useApp();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<WebhookEventType[]>(['proposal.ready', 'proposal.failed']);
  const [errors, setErrors] = useState<{ url?: string; event_types?: string }>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFormError(null);
    const found: typeof errors = {};
    if (!url.trim()) found.url = t('form.required');
    if (events.length === 0) found.event_types = t('webhooks.pickEvent');
    setErrors(found);
    if (found.url || found.event_types) return;
    setBusy(true);
    try {
      const endpoint = await api.createWebhook({ url: url.trim(), event_types: events, description: description.trim(), enabled: true });
      onCreated(endpoint.url, endpoint.secret);
      setUrl('');
      setDescription('');
    } catch (caught) {
      if (caught instanceof ApiError && caught.kind === 'invalid') {
        const fields = caught.fieldErrors(wordFieldError);
        setErrors({ url: fields['url'], event_types: fields['event_types'] });
        if (!fields['url'] && !fields['event_types']) setFormError(describeError(caught));
      } else setFormError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="webhook-create-title">
      <h2 id="webhook-create-title">{t('webhooks.create')}</h2>
      {formError && <Alert>{formError}</Alert>}
      <form onSubmit={submit} noValidate>
        <Field id="field-webhook-url" label={t('webhooks.url')} hint={t('webhooks.urlHint')} error={errors.url}>
          <input
            id="field-webhook-url"
            name="url"
            type="url"
            value={url}
            maxLength={2000}
            onChange={(event) => setUrl(event.target.value)}
            aria-invalid={errors.url ? true : undefined}
            aria-describedby={describedBy('field-webhook-url', true, errors.url)}
          />
        </Field>
        <fieldset className="field">
          <legend>{t('webhooks.events')}</legend>
          {WEBHOOK_EVENT_TYPES.map((type) => (
            <div className="checkbox-field" key={type}>
              <input
                id={`webhook-event-${type}`}
                type="checkbox"
                checked={events.includes(type)}
                onChange={(event) => setEvents((current) => (event.target.checked ? [...current, type] : current.filter((item) => item !== type)))}
              />
              <label htmlFor={`webhook-event-${type}`}>{t(`webhooks.event.${type}`)}</label>
            </div>
          ))}
          {errors.event_types && <p className="field-error">{errors.event_types}</p>}
        </fieldset>
        <Field id="field-webhook-description" label={t('webhooks.description')} optional>
          <input id="field-webhook-description" name="description" value={description} maxLength={500} onChange={(event) => setDescription(event.target.value)} />
        </Field>
        <button type="submit" disabled={busy}>
          {busy ? t('webhooks.creating') : t('webhooks.submit')}
        </button>
      </form>
    </section>
  );
}
