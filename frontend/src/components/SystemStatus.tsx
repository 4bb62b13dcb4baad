'use client';
/** Health and readiness of the gateway and what it depends on, and (for admins) the last backups of each kind. */
import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '@/lib/api';
import { useApp } from '@/lib/app-context';
import type { BackupOverview, Readiness } from '@/lib/types';
import { Alert, Loading, NotAvailable } from './ui';

export function SystemStatus() {
  const { api, t, formatDate, formatNumber, describeError, principal } = useApp();
  // Backups are for admins only (the gateway answers others 403): others do not ask, and see no backups section.
  const admin = principal?.admin === true;
  const [health, setHealth] = useState<'ok' | 'down' | null>(null);
  const [readiness, setReadiness] = useState<Readiness | null>(null);
  const [readyError, setReadyError] = useState<string | null>(null);
  const [backups, setBackups] = useState<BackupOverview | 'missing' | 'forbidden' | null>(null);
  const [backupError, setBackupError] = useState<string | null>(null);

  const load = useCallback(() => {
    api.health().then(
      () => setHealth('ok'),
      () => setHealth('down'),
    );
    api.ready().then(setReadiness, (caught) => setReadyError(caught instanceof ApiError && caught.kind === 'not_found' ? t('common.notAvailable') : describeError(caught)));
    if (!admin) return;
    api.backups().then(setBackups, (caught) => {
      if (caught instanceof ApiError && caught.kind === 'not_found') setBackups('missing');
      else if (caught instanceof ApiError && caught.kind === 'forbidden') setBackups('forbidden');
      else setBackupError(describeError(caught));
    });
  }, [api, t, describeError, admin]);

  useEffect(() => load(), [load]);

  const state = (ok: boolean) => <span className={`badge ${ok ? 'badge-ready' : 'badge-failed'}`}>{ok ? t('system.ok') : t('system.down')}</span>;

  return (
    <div className="stack">
      <section className="card" aria-labelledby="health-title">
        <h2 id="health-title">{t('system.health')}</h2>
        {health === null ? (
          <Loading />
        ) : (
          <dl className="checks">
            <div>
              <dt>{t('system.gateway')}</dt>
              <dd>{state(health === 'ok')}</dd>
            </div>
            {readiness &&
              Object.entries(readiness.checks).map(([name, value]) => (
                <div key={name}>
                  <dt>{name}</dt>
                  <dd>
                    {state(value === 'ok')} {value !== 'ok' && <span className="muted">{value}</span>}
                  </dd>
                </div>
              ))}
            {readiness && (
              <div>
                <dt>{t('system.readiness')}</dt>
                <dd>{state(readiness.status === 'ready' || readiness.status === 'ok')}</dd>
              </div>
            )}
          </dl>
        )}
        {health === 'down' && <Alert>{t('error.network', { url: api.baseUrl })}</Alert>}
        {readyError && <Alert kind="warning">{readyError}</Alert>}
      </section>
      {admin && (
        <section className="card" aria-labelledby="backups-title">
          <h2 id="backups-title">{t('system.backups')}</h2>
          {backups === null && !backupError && <Loading />}
          {backupError && <Alert>{backupError}</Alert>}
          {backups === 'missing' && <NotAvailable what={t('system.what')} />}
          {backups === 'forbidden' && <Alert kind="warning">{t('templates.adminOnly')}</Alert>}
          {backups && typeof backups === 'object' && backups.kinds.length === 0 && <p>{t('system.noBackups')}</p>}
          {backups && typeof backups === 'object' && backups.kinds.length > 0 && (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('system.kind')}</th>
                    <th scope="col">{t('system.lastVerified')}</th>
                    <th scope="col">{t('system.lastRun')}</th>
                    <th scope="col">{t('system.size')}</th>
                    <th scope="col">{t('system.failures')}</th>
                  </tr>
                </thead>
                <tbody>
                  {backups.kinds.map((kind) => (
                    <tr key={kind.kind}>
                      <th scope="row">{kind.kind}</th>
                      <td>{kind.last_verified_at ? formatDate(kind.last_verified_at) : t('system.never')}</td>
                      <td>
                        {kind.last_run_status ? <span className={`badge ${kind.last_run_status === 'verified' ? 'badge-ready' : kind.last_run_status === 'failed' ? 'badge-failed' : 'badge-queued'}`}>{t(`backup.${kind.last_run_status}` as 'backup.verified')}</span> : '—'}{' '}
                        {kind.last_run_at && <span className="muted">{formatDate(kind.last_run_at)}</span>}
                        {kind.last_run_error && <div className="muted small">{kind.last_run_error}</div>}
                      </td>
                      <td>{kind.size_bytes !== null ? `${formatNumber(Math.round(kind.size_bytes / 1024))} KiB` : '—'}</td>
                      <td>{kind.consecutive_failures}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}
    </div>
  );
}
