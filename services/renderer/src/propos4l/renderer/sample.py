"""Sample drafted proposals in both languages, and `python -m propos4l.renderer.sample OUT_DIR` to print them."""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from propos4l.renderer.document import build_html
from propos4l.renderer.pdf import render_pdf_bytes
from propos4l.renderer.templates import DEFAULT_TEMPLATE_NAME, install_default_template, load_template
from propos4l.shared.events import ProposalDrafted, ProposalRequest, Section
from propos4l.shared.sections import SECTION_KEYS, Language, SectionKey, section_title

__all__ = ["SAMPLE_PROPOSAL_ID", "main", "sample_drafted", "write_samples"]

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
| Fase | Semanas | Principais entregas |
|---|---:|---|
| Descoberta | 1–3 | Mapa de processos, backlog priorizado |
| Desenho | 3–5 | Protótipos validados, arquitetura |
| Construção | 5–13 | Portais, integração, painéis |
| Implantação | 13–16 | Migração, treinamento, entrada em produção |

O cronograma considera a disponibilidade dos usuários-chave por pelo menos quatro horas semanais.
""",
    SectionKey.TEAM: """\
- **Gerente de projeto**: ponto único de contato, responsável por prazos e riscos.
- **Arquiteta de soluções**: desenho técnico e integração com o ERP.
- **Três desenvolvedores**: construção dos portais e da camada de integração.
- **Designer de produto**: pesquisa com usuários e protótipos.
- **Analista de qualidade**: testes automatizados e homologação.
""",
    SectionKey.INVESTMENT: """\
| Item | Valor (R$) |
|---|---:|
| Descoberta e desenho | 68.000,00 |
| Construção e integração | 214.000,00 |
| Implantação, migração e treinamento | 46.000,00 |
| **Total** | **328.000,00** |

Pagamento em parcelas mensais vinculadas às entregas. Valores sem impostos, válidos por 30 dias.
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
| Phase | Weeks | Main deliverables |
|---|---:|---|
| Discovery | 1–3 | Process map, prioritised backlog |
| Design | 3–5 | Validated prototypes, architecture |
| Build | 5–12 | Portals, integration, dashboards |
| Rollout | 12–14 | Migration, training, go-live |

The plan assumes key users are available for at least four hours a week.
""",
    SectionKey.TEAM: """\
- **Project manager**: single point of contact, accountable for schedule and risks.
- **Solutions architect**: technical design and warehouse-system integration.
- **Three developers**: portals and integration layer.
- **Product designer**: user research and prototypes.
- **QA analyst**: automated tests and acceptance.
""",
    SectionKey.INVESTMENT: """\
| Item | Amount (USD) |
|---|---:|
| Discovery and design | 24,000.00 |
| Build and integration | 78,000.00 |
| Rollout, migration and training | 16,000.00 |
| **Total** | **118,000.00** |

Monthly instalments tied to deliverables. Amounts exclude taxes and are valid for 30 days.
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


def sample_drafted(language: Language = Language.PT_BR, *, ai_generated: bool = True) -> ProposalDrafted:
    """A realistic drafted proposal in `language`, with lists, tables and a quote in its sections."""
    if language is Language.PT_BR:
        request = ProposalRequest(
            client_name="Cooperativa Agroindustrial Vale Verde",
            industry="Agronegócio",
            requirements="Unificar estoque, pedidos e logística das 12 unidades.",
            timeline="16 semanas",
            budget="Até R$ 350 mil",
            language=language,
        )
        content = _PT_CONTENT
    else:
        request = ProposalRequest(
            client_name="Northwind Logistics",
            industry="Logistics",
            requirements="A single view of shipments and inventory across eight distribution centres.",
            timeline="14 weeks",
            budget="Up to USD 120k",
            language=language,
        )
        content = _EN_CONTENT
    return ProposalDrafted(
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
