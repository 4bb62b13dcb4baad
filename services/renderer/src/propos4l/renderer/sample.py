"""Sample drafted proposals in both languages, and `python -m propos4l.renderer.sample OUT_DIR` to print them."""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Final

from propos4l.renderer.document import build_html
from propos4l.renderer.pdf import render_pdf_bytes
from propos4l.renderer.pricing import quote
from propos4l.renderer.sample_grounding import sample_budget_comparison, sample_grounding
from propos4l.renderer.templates import DEFAULT_TEMPLATE_NAME, install_default_template, load_template
from propos4l.shared.effort_pricing import investment_items
from propos4l.shared.events import InvestmentItem, ProposalDrafted, ProposalRequest, Section, TimelinePhase
from propos4l.shared.sections import SECTION_KEYS, Language, SectionKey, section_title

__all__ = ["SAMPLE_DISCOUNT_PERCENT", "SAMPLE_PROPOSAL_ID", "main", "sample_drafted", "write_samples"]

SAMPLE_PROPOSAL_ID: Final = uuid.UUID("3f2a9c1b-7d4e-4b8a-9c0d-5e6f7a8b9c0d")
_SAMPLE_TIME: Final = datetime(2026, 11, 29, 14, 30, tzinfo=UTC)

_PT_CONTENT: Final[dict[SectionKey, str]] = {
    SectionKey.EXECUTIVE_SUMMARY: """\
A **Cooperativa Agroindustrial Vale Verde** precisa unificar o controle de estoque, pedidos e logística de suas \
12 unidades, hoje apoiado em planilhas e em um ERP legado sem integração entre filiais.

Propomos implantar, em **16 semanas**, uma plataforma integrada de gestão de operações, com portal para \
cooperados, painéis gerenciais em tempo real e integração com o ERP atual, reduzindo retrabalho e dando \
visibilidade diária da safra à diretoria.

- Redução estimada de **30 %** no tempo de fechamento mensal.
- Estoque consolidado das 12 unidades, atualizado a cada 15 minutos.
- Base técnica preparada para a expansão prevista para 2027.
""",
    SectionKey.CONTEXT: """\
A cooperativa reúne cerca de 3.400 produtores e movimenta grãos, insumos e rações entre armazéns em três estados. \
O crescimento dos últimos anos expôs limitações do modelo atual:

1. **Dados fragmentados**: cada unidade mantém suas próprias planilhas, consolidadas manualmente toda semana.
2. **ERP legado** (versão de 2011) sem interface de integração documentada.
3. **Baixa visibilidade** para a diretoria sobre estoques e compromissos de entrega.

> "Hoje descobrimos divergências de estoque só no fechamento do mês." (Diretoria de Operações)
""",
    SectionKey.SOLUTION: """\
A solução combina uma plataforma web moderna com uma camada de integração que preserva o investimento no ERP atual.

### Componentes

- **Portal de operações**: pedidos, recebimento, expedição e transferências entre unidades.
- **Portal do cooperado**: extrato de entregas, saldos e agendamento de descargas.
- **Camada de integração**: sincroniza cadastros e lançamentos com o ERP a cada 15 minutos.
- **Painéis gerenciais**: indicadores de estoque, giro e cumprimento de prazos por unidade.

A arquitetura é baseada em serviços em nuvem, com alta disponibilidade e cópias de segurança diárias.
""",
    SectionKey.SCOPE: """\
### Incluído

- Levantamento detalhado dos processos das 12 unidades.
- Desenvolvimento e implantação dos portais de operações e do cooperado.
- Integração bidirecional com o ERP atual (cadastros, estoque e notas fiscais).
- Migração dos dados históricos dos últimos 24 meses.
- Treinamento de 40 usuários-chave e material de apoio.

### Fora do escopo

- Substituição do ERP ou de seus módulos fiscais.
- Aquisição de equipamentos e de licenças de terceiros.
- Adequações de infraestrutura de rede nas unidades.
""",
    SectionKey.METHODOLOGY: """\
Trabalhamos com **entregas quinzenais** e participação ativa da equipe da cooperativa em cada ciclo:

1. **Descoberta**: entrevistas, visitas às unidades e mapeamento dos processos atuais.
2. **Desenho**: protótipos navegáveis validados com usuários-chave.
3. **Construção**: sprints de duas semanas, com demonstração ao fim de cada uma.
4. **Implantação assistida**: entrada em produção por ondas de unidades, com suporte presencial.

Um comitê quinzenal acompanha riscos, decisões e indicadores do projeto.
""",
    SectionKey.TIMELINE: """\
O projeto se organiza em quatro fases ao longo de **16 semanas**, com entregas quinzenais e marcos de validação \
ao fim de cada fase. A entrada em produção acontece por ondas de unidades, começando pelas duas maiores.

O cronograma considera a disponibilidade dos usuários-chave por pelo menos quatro horas semanais.
""",
    SectionKey.TEAM: """\
Uma equipe sênior e dedicada conduz o projeto do início ao fim, sem rotatividade. A gerente de projeto é o ponto \
único de contato da cooperativa; a arquiteta de soluções responde pela integração com o ERP.
""",
    SectionKey.INVESTMENT: """\
O investimento cobre toda a equipe do projeto, do levantamento à implantação assistida, e o suporte durante as \
primeiras semanas de operação. Os valores abaixo são fixos para o escopo descrito nesta proposta.

**Condições de pagamento:** 20% na assinatura e o restante em parcelas mensais vinculadas às entregas de cada fase.
""",
    SectionKey.DIFFERENTIALS: """\
- Mais de **15 anos** de experiência em projetos para o agronegócio.
- Integrações já realizadas com o ERP utilizado pela cooperativa.
- Equipe sênior dedicada, sem rotatividade durante o projeto.
- Garantia de **90 dias** após a entrada em produção.
""",
    SectionKey.TERMS: """\
1. Esta proposta é válida por 30 dias a partir da data de emissão.
2. Despesas de viagem para as unidades serão reembolsadas mediante comprovação.
3. O código-fonte desenvolvido será de propriedade da cooperativa após a quitação.
4. Dúvidas: [contato@propos4l.example](mailto:contato@propos4l.example).
""",
}

_EN_CONTENT: Final[dict[SectionKey, str]] = {
    SectionKey.EXECUTIVE_SUMMARY: """\
**Northwind Logistics** needs a single view of shipments, warehouse capacity and customer commitments across its \
eight distribution centres, which today run on spreadsheets and a legacy warehouse system.

We propose to deliver, in **14 weeks**, an integrated operations platform with a customer portal, real-time \
dashboards and an integration layer over the existing warehouse system.

- An estimated **25%** reduction in manual reconciliation effort.
- Live inventory across all eight centres, refreshed every 10 minutes.
- A technical foundation ready for the planned expansion in 2027.
""",
    SectionKey.CONTEXT: """\
Northwind handles about 40,000 shipments a month for retail and industrial customers. Growth has exposed the \
limits of the current set-up:

1. **Fragmented data**: each centre keeps its own spreadsheets, merged by hand every week.
2. **Legacy warehouse system** without a documented integration interface.
3. **Limited visibility** for management over capacity and delivery commitments.

> "We only find inventory gaps when the month closes." (Head of Operations)
""",
    SectionKey.SOLUTION: """\
The solution pairs a modern web platform with an integration layer that preserves the current systems.

### Components

- **Operations portal**: orders, receiving, dispatch and transfers between centres.
- **Customer portal**: shipment tracking, delivery slots and proof of delivery.
- **Integration layer**: synchronises master data and stock movements every 10 minutes.
- **Management dashboards**: inventory, turnover and on-time delivery per centre.

The architecture runs on managed cloud services with high availability and daily backups.
""",
    SectionKey.SCOPE: """\
### Included

- Detailed process discovery across the eight centres.
- Build and rollout of the operations and customer portals.
- Two-way integration with the current warehouse system.
- Migration of the last 24 months of history.
- Training for 30 key users, with reference material.

### Out of scope

- Replacing the warehouse system.
- Hardware and third-party licences.
- Network infrastructure changes at the centres.
""",
    SectionKey.METHODOLOGY: """\
We work in **two-week increments**, with Northwind's team taking part in every cycle:

1. **Discovery**: interviews, site visits and current-process mapping.
2. **Design**: clickable prototypes validated with key users.
3. **Build**: two-week sprints, each ending with a demo.
4. **Assisted rollout**: go-live in waves of centres, with on-site support.

A steering committee meets every two weeks to review risks, decisions and project metrics.
""",
    SectionKey.TIMELINE: """\
The project runs in four phases over **14 weeks**, with a delivery every two weeks and a sign-off at the end of \
each phase. Go-live happens in waves of centres, starting with the two largest.

The plan assumes key users are available for at least four hours a week.
""",
    SectionKey.TEAM: """\
A dedicated senior team runs the project from start to finish, with no rotation. The project manager is \
Northwind's single point of contact; the solutions architect owns the warehouse-system integration.
""",
    SectionKey.INVESTMENT: """\
The investment covers the whole project team, from discovery to assisted rollout, and support during the first \
weeks of operation. The amounts below are fixed for the scope described in this proposal.

**Payment terms:** 20% on signature and the rest in monthly instalments tied to each phase's deliverables.
""",
    SectionKey.DIFFERENTIALS: """\
- More than **15 years** of logistics and supply-chain projects.
- Prior integrations with the warehouse system Northwind uses.
- A dedicated senior team, with no rotation during the project.
- A **90-day** warranty after go-live.
""",
    SectionKey.TERMS: """\
1. This proposal is valid for 30 days from its date.
2. Travel expenses to the centres are reimbursed at cost.
3. Source code developed in the project belongs to Northwind once fully paid.
4. Questions: [contact@propos4l.example](mailto:contact@propos4l.example).
""",
}


# The line items of a draft without grounding (no effort): what every draft had before issue #15.
_PT_ITEMS: Final = (
    InvestmentItem(description="Descoberta e desenho (horas)", quantity=Decimal(320), unit_price=Decimal("212.50")),
    InvestmentItem(description="Construção dos portais e da integração (sprints)", quantity=Decimal(8),
                   unit_price=Decimal("26750.00")),
    InvestmentItem(description="Migração de dados históricos", quantity=Decimal(1), unit_price=Decimal("18400.00")),
    InvestmentItem(description="Treinamento de usuários-chave (turmas)", quantity=Decimal(4),
                   unit_price=Decimal("3150.00")),
    InvestmentItem(description="Implantação assistida nas unidades (dias)", quantity=Decimal("12.5"),
                   unit_price=Decimal("1480.00")),
)  # fmt: skip
_EN_ITEMS: Final = (
    InvestmentItem(description="Discovery and design (hours)", quantity=Decimal(280), unit_price=Decimal("195.00")),
    InvestmentItem(description="Portals and integration build (sprints)", quantity=Decimal(7),
                   unit_price=Decimal("24600.00")),
    InvestmentItem(description="Historical data migration", quantity=Decimal(1), unit_price=Decimal("15750.00")),
    InvestmentItem(description="Key-user training (classes)", quantity=Decimal(3), unit_price=Decimal("2980.00")),
    InvestmentItem(description="Assisted rollout at the centres (days)", quantity=Decimal("10.5"),
                   unit_price=Decimal("1395.00")),
)  # fmt: skip
_PT_PHASES: Final = (
    TimelinePhase(name="Descoberta", duration="Semanas 1–3",
                  deliverables=("Mapa de processos das 12 unidades", "Backlog priorizado")),
    TimelinePhase(name="Desenho", duration="Semanas 3–5",
                  deliverables=("Protótipos validados com usuários-chave", "Arquitetura da solução")),
    TimelinePhase(name="Construção", duration="Semanas 5–13",
                  deliverables=("Portal de operações", "Portal do cooperado", "Integração com o ERP", "Painéis")),
    TimelinePhase(name="Implantação", duration="Semanas 13–16",
                  deliverables=("Migração de dados", "Treinamento", "Entrada em produção por ondas")),
)  # fmt: skip
_EN_PHASES: Final = (
    TimelinePhase(name="Discovery", duration="Weeks 1–3",
                  deliverables=("Process map of the eight centres", "Prioritised backlog")),
    TimelinePhase(name="Design", duration="Weeks 3–5",
                  deliverables=("Prototypes validated with key users", "Solution architecture")),
    TimelinePhase(name="Build", duration="Weeks 5–12",
                  deliverables=("Operations portal", "Customer portal", "Warehouse-system integration", "Dashboards")),
    TimelinePhase(name="Rollout", duration="Weeks 12–14",
                  deliverables=("Data migration", "Training", "Go-live in waves")),
)  # fmt: skip
_PT_ASSUMPTIONS: Final = (
    "A cooperativa disponibiliza acesso ao ERP e à sua documentação técnica até a segunda semana.",
    "Usuários-chave de cada unidade dedicam ao menos quatro horas por semana ao projeto.",
    "A infraestrutura de nuvem é contratada pela cooperativa, com apoio da nossa equipe na escolha.",
)
_EN_ASSUMPTIONS: Final = (
    "Northwind provides access to the warehouse system and its technical documentation by week two.",
    "Key users at each centre spend at least four hours a week on the project.",
    "Northwind contracts the cloud infrastructure, with our team's help in choosing it.",
)
SAMPLE_DISCOUNT_PERCENT: Final = Decimal("8")
_SAMPLE_BUDGET: Final = {Language.PT_BR: Decimal("350000.00"), Language.EN: Decimal("300000.00")}


def sample_drafted(
    language: Language = Language.PT_BR,
    *,
    ai_generated: bool = True,
    template: str = DEFAULT_TEMPLATE_NAME,
    grounded: bool = True,
) -> ProposalDrafted:
    """A realistic drafted proposal in `language`: sections with lists, tables and a quote; line items, phases.

    `grounded`: drafted from the library, with a team, effort priced from a rate card (its line items), the budget
    comparison and cited case studies; otherwise plain line items, as a draft without grounding has.
    """
    if language is Language.PT_BR:
        request = ProposalRequest(
            client_name="Cooperativa Agroindustrial Vale Verde",
            industry="Agronegócio",
            requirements="Unificar estoque, pedidos e logística das 12 unidades.",
            timeline="16 semanas",
            budget="Até R$ 350 mil",
            language=language,
            template=template,
            discount_percent=SAMPLE_DISCOUNT_PERCENT,
        )
        content, items, phases, assumptions = _PT_CONTENT, _PT_ITEMS, _PT_PHASES, _PT_ASSUMPTIONS
    else:
        request = ProposalRequest(
            client_name="Northwind Logistics",
            industry="Logistics",
            requirements="A single view of shipments and inventory across eight distribution centres.",
            timeline="14 weeks",
            budget="Up to R$ 300k",
            language=language,
            template=template,
            discount_percent=SAMPLE_DISCOUNT_PERCENT,
        )
        content, items, phases, assumptions = _EN_CONTENT, _EN_ITEMS, _EN_PHASES, _EN_ASSUMPTIONS
    drafted = ProposalDrafted(
        proposal_id=SAMPLE_PROPOSAL_ID,
        version=1,
        occurred_at=_SAMPLE_TIME,
        request=request,
        sections=tuple(
            Section(key=key, title=section_title(key, language), content=content[key]) for key in SECTION_KEYS
        ),
        provider="sample",
        model="sample",
        ai_generated=ai_generated,
        prompt_version="sample",
        investment_items=items,
        timeline_phases=phases,
        assumptions=assumptions,
    )
    if not grounded:
        return drafted
    grounding = sample_grounding(language)
    # The budget is compared with the discounted total before taxes, as the generator does.
    priced_items = investment_items(grounding.effort)
    net = quote(priced_items, discount_percent=SAMPLE_DISCOUNT_PERCENT).net
    return drafted.model_copy(
        update={
            "investment_items": priced_items,
            "team": grounding.team,
            "effort": grounding.effort,
            "sources": grounding.sources,
            "cited_passages": grounding.cited_passages,
            "budget_comparison": sample_budget_comparison(_SAMPLE_BUDGET[language], net, "BRL"),
        }
    )


def write_samples(out_dir: Path) -> list[Path]:
    """Render the sample proposal in every language to `out_dir/sample-proposal-<lang>.pdf`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="propos4l-templates-") as templates_dir:
        install_default_template(Path(templates_dir))
        template = load_template(Path(templates_dir), DEFAULT_TEMPLATE_NAME)
        for language in Language:
            pdf = render_pdf_bytes(build_html(sample_drafted(language), template), template.path)
            target = out_dir / f"sample-proposal-{language.value}.pdf"
            target.write_bytes(pdf.data)
            written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: write the sample PDFs to the folder given as the only argument."""
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        print("usage: python -m propos4l.renderer.sample OUT_DIR", file=sys.stderr)
        return 2
    # Font subsets carry a timestamp; pinning it keeps the committed samples byte-identical between runs.
    os.environ.setdefault("SOURCE_DATE_EPOCH", str(int(_SAMPLE_TIME.timestamp())))
    for path in write_samples(Path(args[0])):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
