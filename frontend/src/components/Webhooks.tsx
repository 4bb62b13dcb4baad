'use client';
/** Webhook endpoints (admins): list them (a disabled one says why), register one (its secret shown once), read an
 * endpoint's delivery log and send a delivery again. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import type { WebhookDelivery, WebhookEndpoint } from '@/lib/types';
import { describeTry, endpointState, lastTry, WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@/lib/webhooks';
import { Alert, describedBy, Field, Loading, NotAvailable, useFocusLater } from './ui';

type ListState = 'loading' | 'ready' | 'missing' | 'forbidden' | 'error';

export function Webhooks() {
  const { api, t, describeError, principal } = useApp();
  const [state, setState] = useState<ListState>('loading');
  const [items, setItems] = useState<WebhookEndpoint[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ url: string; secret: string } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
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

  const disabled = items.filter((endpoint) => endpointState(endpoint) === 'disabled');
  return (
    <div className="stack">
      <p className="muted">{t('webhooks.intro')}</p>
      {disabled.length > 0 && (
        <Alert kind="warning" title={t('webhooks.disabledTitle')}>
          {t('webhooks.disabledSome', { count: String(disabled.length) })}
        </Alert>
      )}
      {created ? (
        <NewSecret
          url={created.url}
          secret={created.secret}
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
        {notice && <Alert kind="info">{notice}</Alert>}
        {items.length === 0 ? (
          <p className="muted">{t('webhooks.empty')}</p>
        ) : (
          <ul className="webhook-list">
            {items.map((endpoint) => {
              const stateOf = endpointState(endpoint);
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
                  {endpoint.disabled_reason && <p className="small">{endpoint.disabled_reason}</p>}
                  <div className="row">
                    <button type="button" className="button-secondary" aria-expanded={open === endpoint.id} onClick={() => setOpen(open === endpoint.id ? null : endpoint.id)}>
                      {t('webhooks.deliveries')}
                    </button>
                    {!endpoint.enabled && (
                      <button type="button" onClick={() => void enable(endpoint)}>
                        {t('webhooks.enable')}
                      </button>
                    )}
                  </div>
                  {open === endpoint.id && <DeliveryLog endpoint={endpoint} />}
                </li>
              );
            })}
          </ul>
        )}
      </section>
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

/** The new endpoint's signing secret, once. */
function NewSecret({ url, secret, onDismiss }: { url: string; secret: string; onDismiss: () => void }) {
  const { t } = useApp();
  return (
    <section className="card secret-box" aria-labelledby="webhook-secret-title" data-testid="new-webhook">
      <h2 id="webhook-secret-title" tabIndex={-1}>
        {t('webhooks.createdTitle', { url })}
      </h2>
      <p className="secret-warning">
        <strong>{t('webhooks.createdWarning')}</strong>
      </p>
      <label htmlFor="webhook-secret" className="secret-label">
        {t('webhooks.secret')}
      </label>
      <input id="webhook-secret" className="code" readOnly value={secret} spellCheck={false} autoComplete="off" onFocus={(event) => event.target.select()} />
      <button type="button" className="button-secondary" onClick={onDismiss}>
        {t('webhooks.dismiss')}
      </button>
    </section>
  );
}
