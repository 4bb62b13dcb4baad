"""A document's language, when its uploader did not say, is guessed from its common words."""

from __future__ import annotations

from propos4l.library.language import guess_language


def test_portuguese_text_is_pt_br() -> None:
    assert guess_language(["Migramos o sistema legado para a nuvem e a equipe não parou."]) == "pt-BR"


def test_english_text_is_en() -> None:
    assert guess_language(["We moved the legacy billing system to the cloud, and the team kept working."]) == "en"


def test_a_mix_goes_to_the_language_with_more_common_words() -> None:
    texts = ["Executive summary", "The project was delivered on time and within the budget that was agreed."]
    assert guess_language(texts) == "en"


def test_text_without_common_words_gets_the_default() -> None:
    assert guess_language(["AWS, Kubernetes, Terraform"]) == "pt-BR"
    assert guess_language([], default="en") == "en"
