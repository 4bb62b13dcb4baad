"""The span of one model call, in the words tracing tools read: OpenTelemetry GenAI and OpenInference attributes.

Every attempt of a chat gets its own client span named ``chat {model}`` (so retries show), carrying the GenAI
semantic conventions (`gen_ai.*`, what Grafana Tempo and the OpenTelemetry tools read) and OpenInference's (span kind
LLM, `llm.*`, what Arize Phoenix reads to show a model call with its tokens). The prompt and the answer are client
data: they go into the span only when OTEL_GENAI_CAPTURE_CONTENT=true, each text cut to a size limit.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from openinference.semconv.trace import MessageAttributes, OpenInferenceSpanKindValues, SpanAttributes
from opentelemetry import trace
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.trace import Span, SpanKind
from opentelemetry.util.types import AttributeValue

from propos4l.shared.telemetry.metrics import SCOPE

__all__ = ["DEFAULT_CONTENT_MAX_CHARS", "ChatCall", "ContentCapture", "chat_span"]

DEFAULT_CONTENT_MAX_CHARS: Final = 8000
"""How much of each message text a span keeps when content capture is on (a prompt with the schema is ~6 000)."""

_CHAT: Final = "chat"
_JSON: Final = "application/json"
_TEXT: Final = "text/plain"


@dataclass(frozen=True, slots=True)
class ContentCapture:
    """Whether model calls' spans carry the prompt and answer text, and how many characters of each at most."""

    enabled: bool = False
    max_chars: int = DEFAULT_CONTENT_MAX_CHARS

    def cut(self, text: str) -> str:
        """`text`, cut to `max_chars` characters (the last one an ellipsis when it was longer)."""
        if len(text) <= self.max_chars:
            return text
        return text[: max(self.max_chars - 1, 0)] + "…" if self.max_chars > 0 else ""


class ChatCall:
    """What a client tells the span of one attempt once the server has answered (whether or not it is used)."""

    __slots__ = ("_content", "_span")

    def __init__(self, span: Span, content: ContentCapture) -> None:
        self._span = span
        self._content = content

    def answered(
        self,
        *,
        text: str,
        finish_reason: str | None,
        input_tokens: int | None,
        output_tokens: int | None,
        response_model: str | None,
    ) -> None:
        """Record how the answer ended, what it cost and, when content capture is on, its text."""
        if not self._span.is_recording():
            return
        attributes: dict[str, AttributeValue] = {}
        if finish_reason:
            attributes[gen_ai.GEN_AI_RESPONSE_FINISH_REASONS] = (finish_reason,)
        if response_model:
            attributes[gen_ai.GEN_AI_RESPONSE_MODEL] = response_model
        if input_tokens is not None:
            attributes[gen_ai.GEN_AI_USAGE_INPUT_TOKENS] = input_tokens
            attributes[SpanAttributes.LLM_TOKEN_COUNT_PROMPT] = input_tokens
        if output_tokens is not None:
            attributes[gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS] = output_tokens
            attributes[SpanAttributes.LLM_TOKEN_COUNT_COMPLETION] = output_tokens
        if input_tokens is not None and output_tokens is not None:
            attributes[SpanAttributes.LLM_TOKEN_COUNT_TOTAL] = input_tokens + output_tokens
        if self._content.enabled:
            answer = self._content.cut(text)
            attributes[SpanAttributes.OUTPUT_VALUE] = answer
            attributes[SpanAttributes.OUTPUT_MIME_TYPE] = _TEXT
            prefix = f"{SpanAttributes.LLM_OUTPUT_MESSAGES}.0."
            attributes[prefix + MessageAttributes.MESSAGE_ROLE] = "assistant"
            attributes[prefix + MessageAttributes.MESSAGE_CONTENT] = answer
        self._span.set_attributes(attributes)


@contextlib.contextmanager
def chat_span(
    provider: str,
    model: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    parameters: Mapping[str, Any],
    content: ContentCapture,
) -> Iterator[ChatCall]:
    """The span of one chat attempt with `model` at `provider` ("ollama", "openai-compatible").

    `messages` are the messages as sent (``role`` and ``content``); `parameters` the sampling parameters as sent,
    under the GenAI names where there is one (``temperature``, ``max_tokens``, ``seed``). An exception that escapes
    is recorded on the span, which then ends in error.
    """
    tracer = trace.get_tracer(SCOPE)
    with tracer.start_as_current_span(f"{_CHAT} {model}", kind=SpanKind.CLIENT) as span:
        if span.is_recording():
            span.set_attributes(_request_attributes(provider, model, messages, parameters, content))
        try:
            yield ChatCall(span, content)
        except Exception as error:
            span.set_attribute(ERROR_TYPE, type(error).__name__)  # the span records the exception itself
            raise


def _request_attributes(
    provider: str,
    model: str,
    messages: Sequence[Mapping[str, Any]],
    parameters: Mapping[str, Any],
    content: ContentCapture,
) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {
        gen_ai.GEN_AI_OPERATION_NAME: _CHAT,
        gen_ai.GEN_AI_PROVIDER_NAME: provider,
        # The name before gen_ai.provider.name: the tools that have not moved yet still read it.
        gen_ai.GEN_AI_SYSTEM: provider,
        gen_ai.GEN_AI_REQUEST_MODEL: model,
        SpanAttributes.OPENINFERENCE_SPAN_KIND: OpenInferenceSpanKindValues.LLM.value,
        SpanAttributes.LLM_MODEL_NAME: model,
        SpanAttributes.LLM_INVOCATION_PARAMETERS: json.dumps(dict(parameters), sort_keys=True, default=str),
    }
    temperature = parameters.get("temperature")
    if isinstance(temperature, int | float) and not isinstance(temperature, bool):
        attributes[gen_ai.GEN_AI_REQUEST_TEMPERATURE] = float(temperature)
    for name, key in ((gen_ai.GEN_AI_REQUEST_MAX_TOKENS, "max_tokens"), (gen_ai.GEN_AI_REQUEST_SEED, "seed")):
        value = parameters.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            attributes[name] = value
    if content.enabled:
        sent = [
            {"role": str(message.get("role")), "content": content.cut(str(message.get("content", "")))}
            for message in messages
        ]
        whole = json.dumps(sent, ensure_ascii=False)
        attributes[SpanAttributes.INPUT_VALUE] = content.cut(whole)
        # Cut JSON is no longer JSON: shown as text then.
        attributes[SpanAttributes.INPUT_MIME_TYPE] = _JSON if len(whole) <= content.max_chars else _TEXT
        for index, message in enumerate(sent):
            prefix = f"{SpanAttributes.LLM_INPUT_MESSAGES}.{index}."
            attributes[prefix + MessageAttributes.MESSAGE_ROLE] = message["role"]
            attributes[prefix + MessageAttributes.MESSAGE_CONTENT] = message["content"]
    return attributes
