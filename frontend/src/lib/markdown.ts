/**
 * Section Markdown to HTML with the PDF's rules: the renderer's `markdown_to_html`
 * (services/renderer/src/propos4l/renderer/markdown.py) uses markdown-it-py, a port of markdown-it 14.1.0, so this
 * uses markdown-it 14.1.0 configured the same way: CommonMark with tables and strikethrough, raw HTML off, no
 * linkify, no typographer, links only to http(s) with a host, mailto with an address, or an in-page fragment, and
 * images written as their alt text so nothing is fetched. The one difference is for the browser: web links open in
 * a new tab without handing the proposal's page to the site they open (WEB_LINK_ATTRIBUTES).
 * tests/fixtures/markdown_parity.json holds the renderer's own HTML for a set of cases, and the parity test holds
 * this module to it.
 */
import MarkdownIt from 'markdown-it';
import type Token from 'markdown-it/lib/token.mjs';

/** What the web app adds to http(s) links, and nothing else differs from the PDF's HTML. */
export const WEB_LINK_ATTRIBUTES: ReadonlyArray<readonly [string, string]> = [
  ['target', '_blank'],
  ['rel', 'noopener noreferrer'],
];

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

/** The scheme, host and path of a URL as Python's `urllib.parse.urlsplit` reads them (the renderer checks with it). */
function splitUrl(url: string): { scheme: string; netloc: string; path: string } {
  let rest = url;
  let scheme = '';
  const colon = rest.indexOf(':');
  if (colon > 0 && SCHEME.test(rest.slice(0, colon))) {
    scheme = rest.slice(0, colon).toLowerCase();
    rest = rest.slice(colon + 1);
  }
  let netloc = '';
  if (rest.startsWith('//')) {
    const ends = ['/', '?', '#'].map((delimiter) => rest.indexOf(delimiter, 2)).filter((found) => found >= 0);
    const end = ends.length ? Math.min(...ends) : rest.length;
    netloc = rest.slice(2, end);
    rest = rest.slice(end);
  }
  const path = rest.split('#')[0]!.split('?')[0]!;
  return { scheme, netloc, path };
}

/**
 * The renderer's `validateLink`: absolute http(s) links with a host, mailto with an address, in-page fragments.
 * markdown-it calls it with the link already normalized (percent-encoded, host in punycode), as markdown-it-py does,
 * so no whitespace, brackets or non-ASCII reach the split.
 */
export function isAllowedLink(url: string): boolean {
  if (url.startsWith('#')) return url.length > 1;
  const { scheme, netloc, path } = splitUrl(url);
  if (scheme === 'http' || scheme === 'https') return netloc !== '';
  return scheme === 'mailto' && path !== '';
}

// Python's str.strip() whitespace, which differs from String.prototype.trim (U+001C to U+001F, U+0085, not U+FEFF).
const PYTHON_WHITESPACE = '\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PYTHON_STRIP = new RegExp(`^[${PYTHON_WHITESPACE}]+|[${PYTHON_WHITESPACE}]+$`, 'g');

/** markupsafe's `escape`, which the renderer uses for alt text (it writes quotes as &#34; and &#39;). */
function escapeLikeMarkupsafe(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/>/g, '&gt;').replace(/</g, '&lt;').replace(/'/g, '&#39;').replace(/"/g, '&#34;');
}

/** An image's alt text as markdown-it-py's `renderInlineAsText` gives it (it keeps inline code, markdown-it drops it). */
function inlineText(tokens: Token[]): string {
  return tokens
    .map((token) => {
      if (token.type === 'text' || token.type === 'code_inline' || token.type === 'html_inline' || token.type === 'html_block') return token.content;
      if (token.type === 'image') return inlineText(token.children ?? []);
      if (token.type === 'softbreak' || token.type === 'hardbreak') return '\n';
      return '';
    })
    .join('');
}

function createParser(): MarkdownIt {
  const parser = new MarkdownIt('commonmark', { html: false, linkify: false, typographer: false });
  parser.enable(['table', 'strikethrough']);
  parser.validateLink = isAllowedLink;
  const rules = parser.renderer.rules;
  rules.image = (tokens, index) => {
    const alt = inlineText(tokens[index]?.children ?? []).replace(PYTHON_STRIP, '');
    return alt ? `<span class="image-alt">${escapeLikeMarkupsafe(alt)}</span>` : '';
  };
  // With html off markdown-it makes no HTML tokens; should one ever appear, it is shown as text, never as markup.
  rules.html_block = (tokens, index) => parser.utils.escapeHtml(tokens[index]?.content ?? '');
  rules.html_inline = rules.html_block;
  rules.link_open = (tokens, index, options, _env, renderer) => {
    const token = tokens[index];
    if (token && /^https?:/i.test(token.attrGet('href') ?? '')) {
      for (const [name, value] of WEB_LINK_ATTRIBUTES) token.attrSet(name, value);
    }
    return renderer.renderToken(tokens, index, options);
  };
  return parser;
}

const parser = createParser();

/** Markdown to HTML that is safe to insert: all text escaped, no raw HTML; `# x` becomes `<h{topHeadingLevel}>`. */
export function markdownToHtml(source: string, { topHeadingLevel = 3 }: { topHeadingLevel?: number } = {}): string {
  const environment = {};
  const tokens = parser.parse(source, environment);
  const shift = topHeadingLevel - 1;
  for (const token of tokens) {
    if (token.type === 'heading_open' || token.type === 'heading_close') token.tag = `h${Math.min(Number(token.tag.slice(1)) + shift, 6)}`;
  }
  return parser.renderer.render(tokens, parser.options, environment);
}
