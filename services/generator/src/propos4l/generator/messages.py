"""What the generator tells people, in the proposal's language: failures and waits, short and without internals."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from propos4l.shared.sections import Language

__all__ = ["Message", "say"]


class Message(StrEnum):
    """Things the generator says to the people following a proposal."""

    MODEL_REFUSED = "model_refused"
    MODEL_INVALID = "model_invalid"
    MODEL_TOO_LONG = "model_too_long"
    MODEL_UNAVAILABLE = "model_unavailable"
    MODEL_RETRYING = "model_retrying"


_TEXTS: Final[dict[Message, dict[Language, str]]] = {
    Message.MODEL_REFUSED: {
        Language.PT_BR: "O servidor do modelo recusou o pedido ({reason}).",
        Language.EN: "The model server refused the request ({reason}).",
    },
    Message.MODEL_INVALID: {
        Language.PT_BR: (
            "O modelo {model} não escreveu uma proposta válida, nem após uma rodada de correção ({reason})."
        ),
        Language.EN: "The model {model} did not write a valid proposal, even after a repair round ({reason}).",
    },
    Message.MODEL_TOO_LONG: {
        Language.PT_BR: (
            "A resposta do modelo {model} atingiu o limite de tokens antes de terminar, mesmo pedindo um texto mais "
            "curto ({reason}). Aumente LLM_MAX_OUTPUT_TOKENS ou o contexto do servidor do modelo."
        ),
        Language.EN: (
            "The answer of the model {model} reached the token limit before it was finished, even when asked to be "
            "shorter ({reason}). Raise LLM_MAX_OUTPUT_TOKENS or the model server's context size."
        ),
    },
    Message.MODEL_UNAVAILABLE: {
        Language.PT_BR: "O servidor do modelo não respondeu em {deliveries} tentativas de entrega ({reason}).",
        Language.EN: "The model server did not answer over {deliveries} delivery attempts ({reason}).",
    },
    Message.MODEL_RETRYING: {
        Language.PT_BR: "O servidor do modelo não está respondendo; nova tentativa em {seconds} s.",
        Language.EN: "The model server is not answering; trying again in {seconds} s.",
    },
}


def say(message: Message, language: Language, **values: object) -> str:
    """`message` in `language`, with its values filled in."""
    return _TEXTS[message][language].format(**values)
