'use client';
/** A version's PDF fetched with the bearer header, shown inline from a blob URL and offered for download. */
import { useEffect, useState } from 'react';
import { useApp } from '@/lib/app-context';
import { Alert, Loading } from './ui';

/** `stamp` changes when the PDF's watermark may (the review state, the approved version): it is fetched again; null
 * waits (the review is loading), so that the PDF is not fetched twice. */
export function PdfPanel({ proposalId, version, clientName, stamp = '' }: { proposalId: string; version: number | null; clientName: string; stamp?: string | null }) {
  const { api, t, describeError } = useApp();
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!version || stamp === null) return;
    let objectUrl: string | null = null;
    let cancelled = false;
    setUrl(null);
    setError(null);
    api.blob(api.pdfPath(proposalId, version), 'application/pdf').then(
      (blob) => {
        if (cancelled) return;
        objectUrl = URL.createObjectURL(blob.type ? blob : new Blob([blob], { type: 'application/pdf' }));
        setUrl(objectUrl);
      },
      (caught) => !cancelled && setError(describeError(caught)),
    );
    return () => {
      cancelled = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [api, proposalId, version, describeError, stamp]);

  const fileName = `${slug(clientName)}-v${version ?? 0}.pdf`;
  return (
    <section className="card pdf" aria-labelledby="pdf-title">
      <div className="section-head">
        <h2 id="pdf-title">{version ? t('proposal.pdfOf', { version }) : t('proposal.pdf')}</h2>
        {url && (
          <a className="button" href={url} download={fileName} data-testid="download-pdf">
            {t('proposal.download')}
          </a>
        )}
      </div>
      <div className="pdf-frame">
        {!version ? (
          <p className="muted">{t('proposal.pdfNone')}</p>
        ) : error ? (
          <Alert>{error}</Alert>
        ) : url ? (
          <iframe src={url} title={t('proposal.pdfOf', { version })} />
        ) : (
          <Loading label={t('proposal.pdfLoading')} />
        )}
      </div>
    </section>
  );
}

export function slug(text: string): string {
  return (
    text
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'proposta'
  );
}
