import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { readParityFixture } from '@/markdown-parity-fixture';
import { Markdown } from './Markdown';

function renderMarkdown(source: string): HTMLElement {
  const { container } = render(<Markdown source={source} />);
  return container.querySelector('.markdown')!;
}

describe('Markdown', () => {
  it('renders headings, lists and emphasis, and never raw HTML', () => {
    const shown = renderMarkdown('## Escopo\n\n- **Goal:** a <b>x</b>\n- *two*\n\n<script>alert(1)</script>');
    expect(shown.querySelector('h5')?.textContent).toBe('Escopo');
    expect(shown.querySelectorAll('li')).toHaveLength(2);
    expect(shown.querySelector('strong')?.textContent).toBe('Goal:');
    expect(shown.querySelector('em')?.textContent).toBe('two');
    expect(shown.querySelector('script')).toBeNull();
    expect(shown.querySelector('b')).toBeNull();
    expect(shown.textContent).toContain('<script>alert(1)</script>');
  });

  it('leaves underscores inside words alone: "order_id e customer_id" is plain text', () => {
    const shown = renderMarkdown('order_id e customer_id');
    expect(shown.querySelector('em, strong')).toBeNull();
    expect(shown.querySelector('p')?.textContent).toBe('order_id e customer_id');
  });

  it('renders a GFM table as a table, with its column alignment', () => {
    const shown = renderMarkdown('| Papel | Horas |\n|---|--:|\n| Arquiteto | 40 |\n| Dev | 120 |');
    const table = shown.querySelector('table');
    expect(table).not.toBeNull();
    expect([...table!.querySelectorAll('th')].map((cell) => cell.textContent)).toEqual(['Papel', 'Horas']);
    expect([...table!.querySelectorAll('tbody tr')].map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent))).toEqual([
      ['Arquiteto', '40'],
      ['Dev', '120'],
    ]);
    expect(table!.querySelector('td:nth-child(2)')?.getAttribute('style')).toBe('text-align:right');
  });

  it('renders a web link as a link that opens apart from the app', () => {
    const link = renderMarkdown('See [our site](https://example.com/a?b=1&c=2).').querySelector('a');
    expect(link?.textContent).toBe('our site');
    expect(link?.getAttribute('href')).toBe('https://example.com/a?b=1&c=2');
    expect(link?.getAttribute('target')).toBe('_blank');
    expect(link?.getAttribute('rel')).toBe('noopener noreferrer');
  });

  it('keeps mail and in-page links without opening a new tab', () => {
    const links = [...renderMarkdown('[mail](mailto:team@example.com) [scope](#scope)').querySelectorAll('a')];
    expect(links.map((link) => link.getAttribute('href'))).toEqual(['mailto:team@example.com', '#scope']);
    expect(links.map((link) => link.getAttribute('target'))).toEqual([null, null]);
  });

  it('shows raw HTML as text, never as markup', () => {
    const shown = renderMarkdown('<script>alert(1)</script>\n\nHello <b onclick="x()">you</b> <img src=x onerror=alert(1)>');
    expect(shown.querySelector('script, b, img')).toBeNull();
    expect(shown.textContent).toContain('<script>alert(1)</script>');
    expect(shown.textContent).toContain('<b onclick="x()">you</b>');
  });

  it.each(['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'vbscript:x', 'data:text/html,x', 'file:///etc/passwd', '//evil.example/x', 'relative.html'])(
    'does not make a link of %s',
    (url) => {
      const shown = renderMarkdown(`[click](${url}) <${url}>`);
      expect(shown.querySelector('a')).toBeNull();
      expect(shown.textContent).toContain(`[click](${url})`);
    },
  );

  it('shows images as their alt text and fetches nothing', () => {
    const shown = renderMarkdown('![Arquitetura *geral*](https://example.com/a.png)');
    expect(shown.querySelector('img')).toBeNull();
    expect(shown.querySelector('.image-alt')?.textContent).toBe('Arquitetura geral');
  });

  it('starts Markdown headings below the section title (h3)', () => {
    const shown = renderMarkdown('# Um\n\n## Dois');
    expect([...shown.querySelectorAll('h4, h5')].map((heading) => `${heading.tagName}:${heading.textContent}`)).toEqual(['H4:Um', 'H5:Dois']);
  });
});

describe('Markdown shows what the PDF shows', () => {
  const fixture = readParityFixture();

  /** The expected HTML as the browser reads it, with the attributes only the web app adds to web links. */
  function expectedDom(html: string): string {
    const holder = document.createElement('div');
    holder.innerHTML = html;
    return holder.innerHTML;
  }

  function withoutWebLinkAttributes(shown: HTMLElement): string {
    const copy = shown.cloneNode(true) as HTMLElement;
    for (const link of copy.querySelectorAll('a')) {
      link.removeAttribute('target');
      link.removeAttribute('rel');
    }
    return copy.innerHTML;
  }

  it.each(fixture.cases.map((parityCase) => [parityCase.name, parityCase] as const))('%s', (_name, parityCase) => {
    expect(fixture.top_heading_level).toBe(4);
    expect(withoutWebLinkAttributes(renderMarkdown(parityCase.markdown))).toBe(expectedDom(parityCase.html));
  });
});
