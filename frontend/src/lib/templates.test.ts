import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { brandDraftOf, brandedManifest, brandProblems, editedUpload, logoExtension, logoPath, TEMPLATE_NAME, templateProblems } from './templates';
import type { Template } from './types';

const base: Template = {
  name: 'acme',
  version: 2,
  current_version: 2,
  description: '',
  company_name: 'Acme',
  is_default: false,
  updated_at: '2025-03-01T09:00:00Z',
  url: '/api/templates/acme',
  history: [],
  manifest: { name: 'acme', version: '1', brand: { company_name: 'Acme', colors: { primary: '#000000', accent: '#111111' }, logo: 'img/logo.svg' } },
  files: [
    { path: 'manifest.json', size: 1, sha256: 'a'.repeat(64), media_type: 'application/json', text: '{"brand": {"logo": "img/logo.svg"}}', url: '/api/templates/acme/files/manifest.json' },
    { path: 'img/logo.svg', size: 1, sha256: 'b'.repeat(64), media_type: 'image/svg+xml', text: '<svg/>', url: '/api/templates/acme/files/img/logo.svg' },
    { path: 'style.css', size: 1, sha256: 'c'.repeat(64), media_type: 'text/css', text: '.cover { background: url(img/logo.svg); }', url: '/api/templates/acme/files/style.css' },
  ],
};

describe('template uploads', () => {
  it('takes the names the gateway takes', () => {
    expect(['a', '0-x', 'acme_2025', 'a'.repeat(64)].every((name) => TEMPLATE_NAME.test(name))).toBe(true);
    expect(['', '-a', '_a', 'Acme', 'açaí', 'a b', 'a'.repeat(65)].some((name) => TEMPLATE_NAME.test(name))).toBe(false);
  });

  it('fills the colours and pricing a manifest leaves out with the renderer defaults', () => {
    expect(brandDraftOf(base.manifest)).toEqual({
      company_name: 'Acme',
      colors: { primary: '#000000', accent: '#111111', text: '#1f2933', muted: '#616e7c' },
      currency: 'BRL',
      taxes: [],
    });
  });

  it('drops blank tax rows and writes rates as decimals; keeps the fields it does not edit', () => {
    const draft = { ...brandDraftOf(base.manifest), taxes: [{ label: ' ISS ', rate: ' 5,5 ' }, { label: '', rate: '' }] };
    expect(brandedManifest(base.manifest, draft)).toEqual({
      version: '1',
      brand: { company_name: 'Acme', colors: draft.colors, logo: 'img/logo.svg' },
      pricing: { currency: 'BRL', taxes: [{ label: 'ISS', rate: '5.5' }] },
    });
  });

  it('puts a new logo next to the old one, and keeps the old file while a text file still names it', () => {
    expect(logoPath('img/logo.svg', 'png')).toBe('img/logo.png');
    expect(logoPath('', 'webp')).toBe('assets/logo.webp');
    expect([logoExtension('Logo.JPEG'), logoExtension('logo.pdf'), logoExtension('logo')]).toEqual(['jpeg', null, null]);
    const logo = { path: 'img/logo.png', base64: 'iVBORw0=', dataUrl: 'data:image/png;base64,iVBORw0=', fileName: 'x.png', size: 5 };
    const texts = { 'img/logo.svg': '<svg/>', 'style.css': '.cover { background: url(img/logo.svg); }', 'manifest.json': '{}' };
    const upload = editedUpload(base, texts, null, logo);
    expect(upload.files).toEqual({ 'img/logo.svg': { text: '<svg/>' }, 'style.css': { text: texts['style.css'] }, 'img/logo.png': { base64: 'iVBORw0=' } });
    expect((upload.manifest['brand'] as Record<string, unknown>)['logo']).toBe('img/logo.png');
    expect(upload.manifest['name']).toBeUndefined();
  });

  it('reads the problems of a 422 from `errors` or `problems`, and maps manifest fields to the form', () => {
    const fromErrors = templateProblems(new ApiError('invalid', 422, { detail: 'x', errors: [{ field: 'manifest.brand.colors.primary', message: 'bad colour' }] }));
    expect(fromErrors).toEqual([{ file: 'manifest.json', field: 'manifest.brand.colors.primary', line: null, column: null, message: 'bad colour' }]);
    const fromProblems = templateProblems(new ApiError('invalid', 422, { detail: 'x', problems: [{ file: 'style.css', line: 3, column: 1, message: 'oops' }] }));
    expect(fromProblems).toEqual([{ file: 'style.css', field: null, line: 3, column: 1, message: 'oops' }]);
    expect(templateProblems(new ApiError('invalid', 422, { detail: 'only a detail' }))).toEqual([{ file: '', field: null, line: null, column: null, message: 'only a detail' }]);
    expect(brandProblems([...fromErrors, { file: 'img/logo.png', field: null, line: null, column: null, message: 'unreadable' }, { file: '', field: 'manifest.pricing.taxes.0.rate', line: null, column: null, message: 'too high' }], 'img/logo.png')).toEqual({
      'colors.primary': 'bad colour',
      logo: 'unreadable',
      'taxes.0.rate': 'too high',
    });
  });
});
