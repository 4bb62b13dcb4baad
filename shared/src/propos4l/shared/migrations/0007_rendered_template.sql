-- Which version of its template each PDF was rendered with: the tree digest of the template folder the renderer read
-- (template_versions.tree_sha256 of the same template). Exports of a version use that template version, so the HTML
-- and Markdown match the PDF even after the template changed. NULL for PDFs rendered before this was recorded.

ALTER TABLE proposal_versions ADD COLUMN template_sha256 text CHECK (template_sha256 ~ '^[0-9a-f]{64}$');
