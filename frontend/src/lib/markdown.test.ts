import { describe, expect, it } from 'vitest';
import { isAllowedLink, markdownToHtml, WEB_LINK_ATTRIBUTES } from './markdown';
import { readParityFixture } from '@/markdown-parity-fixture';

const WEB_LINK_MARKUP = WEB_LINK_ATTRIBUTES.map(([name, value]) => ` ${name}="${value}"`).join('');

describe('markdownToHtml', () => {
  const fixture = readParityFixture();

  it('has parity cases to check', () => {
    expect(fixture.cases.length).toBeGreaterThan(20);
  });

  // Byte for byte the renderer's HTML, apart from the attributes web links get. Text cannot spell that markup: every
  // quote in text and attribute values is escaped, so removing it removes only what this module added.
  it.each(fixture.cases.map((parityCase) => [parityCase.name, parityCase] as const))('gives the PDF renderer\'s HTML: %s', (_name, parityCase) => {
    const html = markdownToHtml(parityCase.markdown, { topHeadingLevel: fixture.top_heading_level });
    const webLinks = (parityCase.html.match(/<a href="https?:/g) ?? []).length;
    expect(html.split(WEB_LINK_MARKUP).length - 1).toBe(webLinks);
    expect(html.split(WEB_LINK_MARKUP).join('')).toBe(parityCase.html);
  });

  it('starts headings at h3 unless told otherwise, as the renderer does', () => {
    expect(markdownToHtml('# One\n\n###### Six')).toBe('<h3>One</h3>\n<h6>Six</h6>\n');
  });
});

describe('isAllowedLink', () => {
  it.each(['https://example.com', 'HTTP://example.com/x', 'mailto:a@example.com', '#scope'])('accepts %s', (url) => {
    expect(isAllowedLink(url)).toBe(true);
  });

  it.each(['javascript:alert(1)', 'http:///path', 'https:', 'mailto:', 'mailto:?subject=x', '#', '//host/x', 'ftp://x', 'x.html', '1http://x'])(
    'refuses %s',
    (url) => {
      expect(isAllowedLink(url)).toBe(false);
    },
  );
});
