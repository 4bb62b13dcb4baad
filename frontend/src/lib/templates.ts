/** Template uploads: a copy of a template, brand and pricing edits on its manifest, a new logo, the gateway's problems. */
import type { ApiError } from './api';
import type { Template, TemplateUpload } from './types';

/** A template name as the gateway takes it: 1 to 64 lowercase letters, digits, '-' or '_', starting with a letter or digit. */
export const TEMPLATE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** The manifest is uploaded as the `manifest` object, never as this file. */
export const MANIFEST_FILE = 'manifest.json';
/** The gateway's limit for one file of a template (the whole upload has its own, TEMPLATE_MAX_REQUEST_BYTES). */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** Image types a template may hold, by extension. */
export const LOGO_EXTENSIONS = ['png', 'jpg', 'jpeg', 'gif', 'webp', 'svg'];
/** What the logo's file picker offers. */
export const LOGO_ACCEPT = 'image/png,image/jpeg,image/gif,image/webp,image/svg+xml,.png,.jpg,.jpeg,.gif,.webp,.svg';

type Json = Record<string, unknown>;

const object = (value: unknown): Json => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});
const text = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : fallback);

/** The manifest as an upload takes it: without `name`, which the gateway takes from the URL. */
export function manifestWithoutName(manifest: Json): Json {
  const { name: _name, ...rest } = manifest;
  return rest;
}

/** A copy of `template` to upload under another name: its manifest, text files as text, the others by SHA-256. */
export function copyOf(template: Template): TemplateUpload {
  const files: TemplateUpload['files'] = {};
  for (const file of template.files) {
    if (file.path === MANIFEST_FILE) continue;
    files[file.path] = file.text !== null ? { text: file.text } : { sha256: file.sha256 };
  }
  return { manifest: manifestWithoutName(template.manifest), files };
}

export type ColorKey = 'primary' | 'accent' | 'text' | 'muted';
export const COLOR_KEYS: ColorKey[] = ['primary', 'accent', 'text', 'muted'];
// The renderer's defaults for the colours a manifest may leave out.
const DEFAULT_COLORS: Record<ColorKey, string> = { primary: '#12355b', accent: '#1a9e8f', text: '#1f2933', muted: '#616e7c' };

export interface TaxDraft {
  label: string;
  /** In percent, as typed ("5", "2,5"). */
  rate: string;
}

/** The brand and pricing fields an admin edits, as the form holds them. */
export interface BrandDraft {
  company_name: string;
  colors: Record<ColorKey, string>;
  /** ISO 4217. */
  currency: string;
  taxes: TaxDraft[];
}

export function brandDraftOf(manifest: Json): BrandDraft {
  const brand = object(manifest['brand']);
  const colors = object(brand['colors']);
  const pricing = object(manifest['pricing']);
  const taxes = Array.isArray(pricing['taxes']) ? pricing['taxes'] : [];
  return {
    company_name: text(brand['company_name']),
    colors: Object.fromEntries(COLOR_KEYS.map((key) => [key, text(colors[key], DEFAULT_COLORS[key])])) as Record<ColorKey, string>,
    currency: text(pricing['currency'], 'BRL'),
    taxes: taxes.map((tax) => ({ label: text(object(tax)['label']), rate: text(object(tax)['rate']) })),
  };
}

/** A rate as the gateway reads a decimal: "2,5" -> "2.5". */
export function decimalOf(rate: string): string {
  return rate.trim().replace(',', '.');
}

/** `manifest` (without `name`) with the draft's brand and pricing, and `logo` as the brand's logo when given. */
export function brandedManifest(manifest: Json, draft: BrandDraft, logo?: string): Json {
  const rest = manifestWithoutName(manifest);
  const brand = object(rest['brand']);
  return {
    ...rest,
    brand: {
      ...brand,
      company_name: draft.company_name.trim(),
      colors: { ...object(brand['colors']), ...draft.colors },
      ...(logo ? { logo } : {}),
    },
    pricing: {
      ...object(rest['pricing']),
      currency: draft.currency.trim().toUpperCase(),
      taxes: draft.taxes.filter((tax) => tax.label.trim() || tax.rate.trim()).map((tax) => ({ label: tax.label.trim(), rate: decimalOf(tax.rate) })),
    },
  };
}

/** The logo a template prints (`brand.logo`, a path inside the template). */
export function logoOf(manifest: Json): string {
  return text(object(manifest['brand'])['logo']);
}

/** A new logo read in the browser, ready to upload. */
export interface NewLogo {
  /** Where it goes in the template: the old logo's path with the new file's extension. */
  path: string;
  base64: string;
  /** For the preview on the page. */
  dataUrl: string;
  fileName: string;
  size: number;
}

export class LogoRefused extends Error {
  constructor(
    readonly reason: 'type' | 'size',
    readonly size: number,
  ) {
    super(`logo refused: ${reason}`);
  }
}

/** The extension of an image a template may hold, lowercased; null for any other file. */
export function logoExtension(fileName: string): string | null {
  const match = /\.([A-Za-z0-9]+)$/.exec(fileName);
  const extension = match?.[1]?.toLowerCase() ?? '';
  return LOGO_EXTENSIONS.includes(extension) ? extension : null;
}

/** Where a new logo goes: the current logo's path with the new extension ("assets/logo.svg" + png -> "assets/logo.png"). */
export function logoPath(currentLogo: string, extension: string): string {
  const base = currentLogo ? currentLogo.replace(/\.[^./]*$/, '') : 'assets/logo';
  return `${base}.${extension}`;
}

/** Read an image the admin picked as the template's new logo; refused (LogoRefused) when the gateway would refuse it. */
export async function readLogo(file: File, currentLogo: string): Promise<NewLogo> {
  const extension = logoExtension(file.name);
  if (!extension) throw new LogoRefused('type', file.size);
  if (file.size > MAX_FILE_BYTES) throw new LogoRefused('size', file.size);
  const dataUrl = await new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('the file could not be read'));
    reader.readAsDataURL(file);
  });
  return { path: logoPath(currentLogo, extension), base64: dataUrl.slice(dataUrl.indexOf(',') + 1), dataUrl, fileName: file.name, size: file.size };
}

/**
 * The upload for an edited template: `texts` for its text files, the others by SHA-256; the brand draft on the manifest
 * when given; a new logo as base64, in place of the old logo file unless a text file still names that one.
 */
export function editedUpload(template: Template, texts: Record<string, string>, draft: BrandDraft | null, logo: NewLogo | null): TemplateUpload {
  const files: TemplateUpload['files'] = {};
  for (const file of template.files) {
    if (file.path === MANIFEST_FILE) continue;
    files[file.path] = file.path in texts ? { text: texts[file.path] ?? '' } : { sha256: file.sha256 };
  }
  let manifest = draft ? brandedManifest(template.manifest, draft, logo?.path) : manifestWithoutName(template.manifest);
  if (logo) {
    if (!draft) manifest = { ...manifest, brand: { ...object(manifest['brand']), logo: logo.path } };
    const old = logoOf(template.manifest);
    const named = Object.entries(texts).some(([path, content]) => path !== MANIFEST_FILE && path !== old && content.includes(old));
    if (old && old !== logo.path && !named) delete files[old];
    files[logo.path] = { base64: logo.base64 };
  }
  return { manifest, files };
}

/** Where the gateway says a template is wrong: a file (line, column) or a manifest field, and what. */
export interface TemplateProblem {
  file: string;
  /** For a manifest that does not validate: the field ("manifest.brand.colors.primary"). */
  field: string | null;
  line: number | null;
  column: number | null;
  message: string;
}

/** The problems of a 422 (its `errors`, or `problems`); the detail alone when it lists none. */
export function templateProblems(error: ApiError): TemplateProblem[] {
  const listed = error.problem.errors ?? error.problem['problems'];
  const items = (Array.isArray(listed) ? listed : []) as Array<Record<string, unknown>>;
  if (items.length) {
    return items.map((item) => {
      const field = typeof item['field'] === 'string' ? item['field'] : null;
      return {
        file: text(item['file']) || (field?.startsWith('manifest') ? MANIFEST_FILE : ''),
        field,
        line: typeof item['line'] === 'number' ? item['line'] : null,
        column: typeof item['column'] === 'number' ? item['column'] : null,
        message: text(item['message']),
      };
    });
  }
  return [{ file: '', field: null, line: null, column: null, message: error.problem.detail ?? error.message }];
}

/** Brand and pricing problems by the form's field key ("company_name", "colors.primary", "taxes.0.rate", "logo"). */
export function brandProblems(problems: TemplateProblem[], logo: string): Record<string, string> {
  const found: Record<string, string> = {};
  const add = (key: string, message: string) => (found[key] = found[key] ? `${found[key]}; ${message}` : message);
  for (const problem of problems) {
    const field = problem.field ?? '';
    if (field.startsWith('manifest.brand.logo') || (logo && problem.file === logo)) add('logo', problem.message);
    else if (field.startsWith('manifest.brand.')) add(field.slice('manifest.brand.'.length), problem.message);
    else if (field.startsWith('manifest.pricing.')) add(field.slice('manifest.pricing.'.length), problem.message);
  }
  return found;
}
