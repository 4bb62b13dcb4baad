/** A section's Markdown as the PDF shows it (src/lib/markdown.ts): raw HTML in the text never becomes markup. */
import { useMemo } from 'react';
import { markdownToHtml } from '@/lib/markdown';

/** Section headings are h3 on the page, so Markdown headings start at h4. */
export function Markdown({ source }: { source: string }) {
  // markdownToHtml escapes every character of the text and makes no raw HTML, so its output is safe to insert.
  const html = useMemo(() => markdownToHtml(source, { topHeadingLevel: 4 }), [source]);
  return <div className="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}
