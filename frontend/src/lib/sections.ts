/** The proposal's section keys, in order, with titles to show before the model has written them. */
export const SECTION_KEYS = [
  'executive_summary',
  'context',
  'solution',
  'scope',
  'methodology',
  'timeline',
  'team',
  'investment',
  'differentials',
  'terms',
] as const;

const TITLES: Record<'pt-BR' | 'en', Record<string, string>> = {
  'pt-BR': {
    executive_summary: 'Sumário executivo',
    context: 'Contexto e necessidades',
    solution: 'Solução proposta',
    scope: 'Escopo',
    methodology: 'Metodologia',
    timeline: 'Cronograma',
    team: 'Equipe',
    investment: 'Investimento',
    differentials: 'Diferenciais',
    terms: 'Condições gerais',
  },
  en: {
    executive_summary: 'Executive summary',
    context: 'Context and needs',
    solution: 'Proposed solution',
    scope: 'Scope',
    methodology: 'Methodology',
    timeline: 'Timeline',
    team: 'Team',
    investment: 'Investment',
    differentials: 'Differentials',
    terms: 'Terms and conditions',
  },
};

export function sectionTitle(key: string, locale: 'pt-BR' | 'en'): string {
  return TITLES[locale][key] ?? key;
}
