"""Hostile templates and content fail that one render, safely and with a clear error, and the renderer goes on.

Every render here goes through `PdfRenderer`, as the service's do: in a worker process with a CPU-time limit, a
memory limit, a wall-clock timeout and an output size limit.
"""

from __future__ import annotations

import asyncio
import io
import json
import multiprocessing
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from propos4l.renderer.errors import RenderError, RenderLimitExceeded, TemplateError
from propos4l.renderer.pdf import PdfRenderer, RenderedPdf
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.templates import install_default_template
from propos4l.shared.events import Section
from propos4l.shared.sections import Language, SectionKey

# A default-template render measured 2.4-2.6 s of CPU on this machine under load: the limit leaves room.
CPU_SECONDS = 5.0
MEMORY_BYTES = 768 * 1024 * 1024


@pytest.fixture(scope="module")
def templates_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("templates")
    install_default_template(path)
    return path


@pytest.fixture(scope="module")
async def renderer() -> AsyncIterator[PdfRenderer]:
    pdf_renderer = PdfRenderer(
        max_workers=2, timeout_seconds=60, cpu_seconds=CPU_SECONDS, max_memory_bytes=MEMORY_BYTES
    )
    yield pdf_renderer
    pdf_renderer.close()
    for child in multiprocessing.active_children():
        child.join(timeout=10)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.5)
    yield sock
    sock.close()


def hostile(templates_dir: Path, name: str, *, head: str = "", body: str = "", replace: str | None = None) -> str:
    """A copy of the default template named `name`, with markup added to its head and body, or replaced."""
    folder = templates_dir / name
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(templates_dir / "default", folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["name"] = name
    (folder / "manifest.json").write_text(json.dumps(manifest))
    html = (folder / "template.html").read_text()
    html = html.replace("</head>", head + "</head>").replace("<body>", "<body>" + body)
    (folder / "template.html").write_text(replace if replace is not None else html)
    return name


async def still_serves(renderer: PdfRenderer, templates_dir: Path) -> RenderedPdf:
    """The next, ordinary render works."""
    pdf = await renderer.render(sample_drafted(Language.PT_BR), templates_dir)
    assert pdf.data.startswith(b"%PDF-") and pdf.pages >= 3
    return pdf


async def test_an_image_from_the_network_is_refused_and_nothing_connects(
    renderer: PdfRenderer, templates_dir: Path, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    name = hostile(
        templates_dir,
        "net-image",
        head=f'<link rel="stylesheet" href="http://127.0.0.1:{port}/steal.css">',
        body=f'<img src="http://127.0.0.1:{port}/pixel.png"><img src="https://127.0.0.1:{port}/x.png">',
    )
    with pytest.raises(TemplateError, match=rf"refused to load 'http://127\.0\.0\.1:{port}/") as error:
        await renderer.render(sample_drafted(Language.EN, template=name), templates_dir)
    assert len(error.value.problems) == 3
    assert all("never the network" in str(problem) for problem in error.value.problems)
    with pytest.raises(TimeoutError):
        listener.accept()  # nothing ever connected
    await still_serves(renderer, templates_dir)


async def test_a_file_attachment_outside_the_template_is_refused_and_not_embedded(
    renderer: PdfRenderer, templates_dir: Path
) -> None:
    name = hostile(
        templates_dir,
        "attach",
        head='<link rel="attachment" href="file:///etc/hostname"><link rel="attachment" href="../../x">',
        body='<a rel="attachment" href="file:///etc/passwd">passwd</a>',
    )
    with pytest.raises(TemplateError, match="etc/hostname") as error:
        await renderer.render(sample_drafted(Language.EN, template=name), templates_dir)
    messages = " ".join(str(problem) for problem in error.value.problems)
    assert "etc/passwd" in messages and str(templates_dir) not in messages
    await still_serves(renderer, templates_dir)


@pytest.mark.parametrize(
    "payload",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ labels.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ lipsum.__globals__['os'].system('id') }}",
        "{{ self._TemplateReference__context }}",
        "{{ '{0.__class__.__base__}'.format('') }}",
        "{{ sections.append(1) }}",
        "{% set x = proposal.update({'client_name': 'x'}) %}",
        "{% include '../../../../etc/passwd' %}",
        "{% include '/etc/passwd' %}",
    ],
)
async def test_sandbox_escapes_fail_with_a_clear_error(
    renderer: PdfRenderer, templates_dir: Path, payload: str
) -> None:
    name = hostile(templates_dir, "escape", replace=f"<p>{payload}</p>")
    with pytest.raises(TemplateError, match=r"could not be filled in: template\.html:1: ") as error:
        await renderer.render(sample_drafted(Language.EN, template=name), templates_dir)
    assert any(
        word in str(error.value)
        for word in ("unsafe", "not safely", "undefined", "has no attribute", "outside the template folder")
    ), str(error.value)


async def test_a_loop_of_ten_billion_iterations_hits_the_cpu_limit(renderer: PdfRenderer, templates_dir: Path) -> None:
    name = hostile(
        templates_dir,
        "loop",
        body="{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    )
    with pytest.raises(RenderLimitExceeded, match=rf"more than {CPU_SECONDS:g} s of CPU time"):
        await renderer.render(sample_drafted(Language.EN, template=name), templates_dir)
    await still_serves(renderer, templates_dir)


async def test_a_five_gigabyte_string_hits_the_memory_limit(renderer: PdfRenderer, templates_dir: Path) -> None:
    name = hostile(templates_dir, "memory", body="{{ 'x' * 5000000000 }}")
    with pytest.raises(RenderLimitExceeded, match=r"ran out of memory \(limit 768 MiB\)"):
        await renderer.render(sample_drafted(Language.EN, template=name), templates_dir)
    await still_serves(renderer, templates_dir)


async def test_a_template_writing_endless_html_hits_the_output_limit(
    renderer: PdfRenderer, templates_dir: Path
) -> None:
    name = hostile(templates_dir, "flood", body="{% for i in range(100000) %}{{ 'y' * 1000 }}{% endfor %}")
    with pytest.raises(RenderLimitExceeded, match="more than 20,000,000 characters of HTML"):
        await renderer.render(sample_drafted(Language.EN, template=name), templates_dir)
    await still_serves(renderer, templates_dir)


async def test_a_pdf_over_the_size_limit_is_refused(templates_dir: Path) -> None:
    small = PdfRenderer(max_workers=1, timeout_seconds=60, max_pdf_bytes=20_000)
    try:
        with pytest.raises(RenderLimitExceeded, match="more than the limit of 20,000"):
            await small.render(sample_drafted(Language.EN), templates_dir)
    finally:
        small.close()


async def test_model_output_with_script_and_raw_html_is_shown_as_text(
    renderer: PdfRenderer, templates_dir: Path
) -> None:
    base = sample_drafted(Language.EN)
    hostile_content = (
        "<script>fetch('http://127.0.0.1:1/x')</script>\n\n"
        '<img src="file:///etc/passwd"> <iframe src="http://127.0.0.1:1/"></iframe> <b>raw</b>\n\n'
        "[click](javascript:alert(1)) ![x](http://127.0.0.1:1/y.png)"
    )
    sections = tuple(
        Section(key=s.key, title=s.title, content=hostile_content) if s.key is SectionKey.SOLUTION else s
        for s in base.sections
    )
    request = base.request.model_copy(update={"client_name": "<script>alert('client')</script> Ltda"})
    pdf = await renderer.render(base.model_copy(update={"sections": sections, "request": request}), templates_dir)
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "<script>fetch('http://127.0.0.1:1/x')</script>" in text
    assert '<img src="file:///etc/passwd">' in text
    assert "<b>raw</b>" in text
    assert "<script>alert('client')</script> Ltda" in text
    assert "[click](javascript:alert(1))" in text  # an unsafe link stays text, not a link
    assert not PdfReader(io.BytesIO(pdf.data)).attachments


async def test_a_render_that_fails_costs_only_its_own_worker(renderer: PdfRenderer, templates_dir: Path) -> None:
    name = hostile(
        templates_dir,
        "slow-loop",
        body="{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    )
    attack = asyncio.ensure_future(renderer.render(sample_drafted(Language.EN, template=name), templates_dir))
    honest = await still_serves(renderer, templates_dir)  # on the other worker, while the attack runs
    assert honest.pages >= 3
    with pytest.raises(RenderError):
        await attack
