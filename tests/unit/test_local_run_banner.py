"""The local run's banner names the model server the generator will really use."""

from __future__ import annotations

from propos4l.shared.localrun.supervisor import describe_model_server


def test_an_openai_compatible_server_is_named_by_its_base_url_not_ollamas() -> None:
    environment = {
        "LLM_PROVIDER": "openai",
        "LLM_BASE_URL": "http://127.0.0.1:8080/v1",
        "LLM_MODEL": "smollm2",
        "OLLAMA_URL": "http://localhost:11434",
    }
    described = describe_model_server(environment)
    assert described == "openai (http://127.0.0.1:8080/v1, model smollm2)"
    assert "11434" not in described


def test_ollama_and_outline_are_described_as_what_they_are() -> None:
    assert describe_model_server({"OLLAMA_URL": "http://gpu:11434", "OLLAMA_MODEL": "qwen2.5:14b"}) == (
        "ollama (http://gpu:11434, model qwen2.5:14b)"
    )
    assert describe_model_server({"LLM_PROVIDER": "outline"}).startswith("outline (")
