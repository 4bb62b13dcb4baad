/** A grounded proposal as GET /api/proposals/{id} gives it (issue #15), for the component tests. */
import { SECTION_KEYS, sectionTitle } from './sections';
import type { Proposal } from './types';

export const PROPOSAL_ID = '7d3f6a2e-1c4b-4f7e-9a51-000000000001';
export const ARCHITECT = '6f1c0c1e-2b1a-4c55-9d0e-7a1f00000001';
export const ANALYST = '6f1c0c1e-2b1a-4c55-9d0e-7a1f00000002';
export const CASE_ENTRY = '6f1c0c1e-2b1a-4c55-9d0e-7a1f00000004';
export const DOCUMENT = '6f1c0c1e-2b1a-4c55-9d0e-7a1f00000005';

export function groundedProposal(overrides: Partial<Proposal> = {}): Proposal {
  return {
    id: PROPOSAL_ID,
    client_name: 'Loja Azul',
    industry: 'Varejo',
    status: 'ready',
    review_state: 'draft',
    version: 1,
    language: 'pt-BR',
    template: 'default',
    created_at: '2026-01-10T12:00:00Z',
    updated_at: '2026-01-10T12:05:00Z',
    requirements: 'Migração do e-commerce para Kubernetes.',
    scope: null,
    timeline: null,
    budget: 'R$ 20.000,00',
    discount_percent: null,
    from_documents: false,
    sections: SECTION_KEYS.map((key) => ({ key, title: sectionTitle(key, 'pt-BR'), content: `Texto de ${sectionTitle(key, 'pt-BR')}.` })),
    investment_items: [],
    investment: null,
    timeline_phases: [],
    assumptions: [],
    pdf_url: null,
    pdf_version: null,
    error: null,
    draft: { provider: 'ollama', model: 'qwen2.5:7b', ai_generated: true },
    trace_url: null,
    search_mode: 'full_text',
    sources: [
      {
        section: 'differentials',
        sources: [
          {
            passage_id: '6f1c0c1e-2b1a-4c55-9d0e-7a1f00000010',
            kind: 'case_study',
            title: 'Varejo: plataforma de e-commerce lenta',
            heading_path: [],
            page: null,
            snippet: 'Levamos a plataforma de e-commerce de uma rede de varejo para Kubernetes na AWS em 12 semanas.',
            entry_id: CASE_ENTRY,
            document_id: null,
          },
          {
            passage_id: '6f1c0c1e-2b1a-4c55-9d0e-7a1f00000011',
            kind: 'past_proposal',
            title: 'Proposta Rede Sul 2025',
            heading_path: ['Metodologia', 'Fases'],
            page: 4,
            snippet: 'Trabalhamos em quatro fases: descoberta, desenho, construção e operação assistida.',
            entry_id: null,
            document_id: DOCUMENT,
          },
        ],
      },
    ],
    team: [
      {
        person_id: '6f1c0c1e-2b1a-4c55-9d0e-7a1f00000020',
        name: 'Ana Lima',
        role_id: ARCHITECT,
        role_name: 'Arquiteto de soluções',
        seniority: 'senior',
        bio: 'Ana desenha migrações para a nuvem há dez anos.',
        project_role: 'Lidera a arquitetura da migração',
      },
    ],
    effort: {
      lines: [
        { phase: 'Descoberta', role_id: ARCHITECT, role_name: 'Arquiteto de soluções', hours: '40.00', hourly_rate: '187.35', amount: '7494.00', currency: 'BRL', rate_id: '6f1c0c1e-2b1a-4c55-9d0e-7a1f00000030' },
        { phase: 'Construção', role_id: ARCHITECT, role_name: 'Arquiteto de soluções', hours: '80.00', hourly_rate: '187.35', amount: '14988.00', currency: 'BRL', rate_id: '6f1c0c1e-2b1a-4c55-9d0e-7a1f00000030' },
        { phase: 'Construção', role_id: ANALYST, role_name: 'Analista', hours: '20.00', hourly_rate: null, amount: null, currency: null, rate_id: null },
      ],
      total: '22482.00',
      currency: 'BRL',
      unpriced_lines: 1,
    },
    budget_comparison: { budget: '20000.00', total: '22482.00', currency: 'BRL', verdict: 'over', difference_percent: '12.41' },
    flags: [
      { section: 'differentials', text: 'Somos certificados ISO 27001.', reason: 'certification_without_source' },
      { section: 'differentials', text: 'Atendemos 300 clientes.', reason: 'number_without_source' },
    ],
    ...overrides,
  };
}
