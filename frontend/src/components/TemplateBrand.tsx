'use client';
/** The brand and pricing an admin changes on a template: company name, logo, colours, currency and taxes. */
import type { ChangeEvent } from 'react';
import { useApp } from '@/lib/app-context';
import { COLOR_KEYS, LOGO_ACCEPT, type BrandDraft, type ColorKey, type NewLogo } from '@/lib/templates';
import { describedBy, Field } from './ui';

export interface BrandFieldsProps {
  draft: BrandDraft;
  onChange: (draft: BrandDraft) => void;
  /** The logo the template prints now, as an image URL; null while it loads or when it cannot be shown. */
  currentLogo: string | null;
  logo: NewLogo | null;
  onPickLogo: (event: ChangeEvent<HTMLInputElement>) => void;
  onKeepLogo: () => void;
  /** Problems by field key: "company_name", "colors.primary", "currency", "taxes.0.rate", "logo". */
  errors: Record<string, string>;
  /** Ask the page to focus an element once it is on screen (after adding or removing a tax). */
  focus: (id: string) => void;
  disabled?: boolean;
}

export function BrandFields({ draft, onChange, currentLogo, logo, onPickLogo, onKeepLogo, errors, focus, disabled }: BrandFieldsProps) {
  const { t, formatNumber } = useApp();
  const setColor = (key: ColorKey, value: string) => onChange({ ...draft, colors: { ...draft.colors, [key]: value } });
  const setTax = (index: number, change: Partial<BrandDraft['taxes'][number]>) =>
    onChange({ ...draft, taxes: draft.taxes.map((tax, i) => (i === index ? { ...tax, ...change } : tax)) });

  function addTax() {
    onChange({ ...draft, taxes: [...draft.taxes, { label: '', rate: '' }] });
    focus(`template-tax-${draft.taxes.length}-label`);
  }

  function removeTax(index: number) {
    onChange({ ...draft, taxes: draft.taxes.filter((_, i) => i !== index) });
    focus('template-tax-add');
  }

  const size = (bytes: number) => (bytes < 1024 * 1024 ? `${formatNumber(Math.max(1, Math.round(bytes / 1024)))} KB` : `${formatNumber((bytes / 1024 / 1024).toFixed(1))} MB`);

  return (
    <div className="template-brand">
      <fieldset className="brand-part">
        <legend>{t('templates.brand')}</legend>
        <Field id="template-company_name" label={t('templates.companyName')} error={errors['company_name']}>
          <input
            id="template-company_name"
            value={draft.company_name}
            maxLength={200}
            disabled={disabled}
            onChange={(event) => onChange({ ...draft, company_name: event.target.value })}
            aria-invalid={errors['company_name'] ? true : undefined}
            aria-describedby={describedBy('template-company_name', false, errors['company_name'])}
          />
        </Field>
        <Field id="template-logo" label={t('templates.logoChoose')} hint={t('templates.logoHint')} error={errors['logo']}>
          <div className="logo-row">
            <figure className="logo-box">
              {(logo?.dataUrl ?? currentLogo) && <img src={logo?.dataUrl ?? currentLogo ?? ''} alt={logo ? logo.fileName : t('templates.logoCurrent')} />}
              <figcaption className="small muted" aria-hidden="true">{logo ? logo.fileName : t('templates.logoCurrent')}</figcaption>
            </figure>
            <input
              id="template-logo"
              type="file"
              accept={LOGO_ACCEPT}
              disabled={disabled}
              onChange={onPickLogo}
              aria-invalid={errors['logo'] ? true : undefined}
              aria-describedby={describedBy('template-logo', true, errors['logo'])}
            />
          </div>
        </Field>
        {logo && (
          <div className="logo-new row">
            <p className="small" role="status">
              {t('templates.logoNew', { file: logo.fileName, size: size(logo.size) })}
            </p>
            <button type="button" className="button-secondary button-small" onClick={onKeepLogo} disabled={disabled}>
              {t('templates.logoKeep')}
            </button>
          </div>
        )}
      </fieldset>

      <fieldset className="brand-part">
        <legend>{t('templates.colors')}</legend>
        <p className="hint" id="template-colors-hint">
          {t('templates.colorsHint')}
        </p>
        <div className="color-grid">
          {COLOR_KEYS.map((key) => {
            const id = `template-color-${key}`;
            const error = errors[`colors.${key}`];
            return (
              <Field key={key} id={id} label={t(`templates.color.${key}`)} error={error}>
                <div className="color-input">
                  <input
                    id={id}
                    type="color"
                    value={draft.colors[key].toLowerCase()}
                    disabled={disabled}
                    onChange={(event) => setColor(key, event.target.value)}
                    aria-invalid={error ? true : undefined}
                    aria-describedby={['template-colors-hint', error ? `${id}-error` : null].filter(Boolean).join(' ')}
                  />
                  <code>{draft.colors[key].toLowerCase()}</code>
                </div>
              </Field>
            );
          })}
        </div>
      </fieldset>

      <fieldset className="brand-part">
        <legend>{t('templates.pricing')}</legend>
        <Field id="template-currency" label={t('templates.currency')} hint={t('templates.currencyHint')} error={errors['currency']}>
          <input
            id="template-currency"
            className="currency-input"
            value={draft.currency}
            maxLength={3}
            autoCapitalize="characters"
            autoComplete="off"
            spellCheck={false}
            disabled={disabled}
            onChange={(event) => onChange({ ...draft, currency: event.target.value.toUpperCase() })}
            aria-invalid={errors['currency'] ? true : undefined}
            aria-describedby={describedBy('template-currency', true, errors['currency'])}
          />
        </Field>
        <div className="field taxes" role="group" aria-labelledby="template-taxes-title" aria-describedby="template-taxes-hint">
          <p className="taxes-title" id="template-taxes-title">
            {t('templates.taxes')}
          </p>
          <p className="hint" id="template-taxes-hint">
            {t('templates.taxesHint')}
          </p>
          {draft.taxes.length === 0 ? (
            <p className="muted small">{t('templates.noTaxes')}</p>
          ) : (
            <table className="taxes-table">
              <thead>
                <tr>
                  <th scope="col">{t('templates.colTax')}</th>
                  <th scope="col">{t('templates.colRate')}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t('templates.colActions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {draft.taxes.map((tax, index) => {
                  const n = index + 1;
                  const labelError = errors[`taxes.${index}.label`];
                  const rateError = errors[`taxes.${index}.rate`];
                  return (
                    <tr key={index} data-tax={n}>
                      <td>
                        <input
                          id={`template-tax-${index}-label`}
                          value={tax.label}
                          maxLength={60}
                          disabled={disabled}
                          aria-label={t('templates.taxLabel', { n })}
                          onChange={(event) => setTax(index, { label: event.target.value })}
                          aria-invalid={labelError ? true : undefined}
                          aria-describedby={labelError ? `template-tax-${index}-label-error` : undefined}
                        />
                        {labelError && (
                          <p className="field-error" id={`template-tax-${index}-label-error`}>
                            {labelError}
                          </p>
                        )}
                      </td>
                      <td>
                        <input
                          id={`template-tax-${index}-rate`}
                          className="rate-input"
                          value={tax.rate}
                          inputMode="decimal"
                          disabled={disabled}
                          aria-label={t('templates.taxRate', { n })}
                          onChange={(event) => setTax(index, { rate: event.target.value })}
                          aria-invalid={rateError ? true : undefined}
                          aria-describedby={rateError ? `template-tax-${index}-rate-error` : undefined}
                        />
                        {rateError && (
                          <p className="field-error" id={`template-tax-${index}-rate-error`}>
                            {rateError}
                          </p>
                        )}
                      </td>
                      <td className="taxes-actions">
                        <button type="button" className="button-secondary button-small" onClick={() => removeTax(index)} disabled={disabled} aria-label={t('templates.removeTaxLabel', { n })}>
                          {t('templates.removeTax')}
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          <button type="button" id="template-tax-add" className="button-secondary button-small" onClick={addTax} disabled={disabled || draft.taxes.length >= 10}>
            {t('templates.addTax')}
          </button>
        </div>
      </fieldset>
    </div>
  );
}
