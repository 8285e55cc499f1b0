"""Language identification (py3langid: its model ships inside the package, nothing is fetched)."""

from __future__ import annotations

from functools import cache
from typing import Any

# Languages news about a topic is usually written in; narrowing the set keeps short
# headlines from being taken for a close neighbour (Spanish for Galician, say).
NEWS_LANGUAGES = [
    "en",
    "ru",
    "uk",
    "be",
    "fa",
    "ar",
    "ur",
    "ps",
    "tr",
    "az",
    "kk",
    "uz",
    "ky",
    "tg",
    "hy",
    "ka",
    "he",
    "el",
    "es",
    "pt",
    "fr",
    "it",
    "de",
    "nl",
    "pl",
    "cs",
    "sk",
    "sl",
    "hr",
    "sr",
    "bg",
    "ro",
    "hu",
    "fi",
    "sv",
    "da",
    "no",
    "lt",
    "lv",
    "et",
    "zh",
    "ja",
    "ko",
    "hi",
    "bn",
    "ta",
    "te",
    "mr",
    "id",
    "ms",
    "vi",
    "th",
]


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(NEWS_LANGUAGES)
    return identifier


def detect(text: str) -> tuple[str | None, float]:
    """The most likely language of `text` and the model's probability for it."""
    # Measured on the labelled records: 400 characters are as accurate as 1,500, and faster.
    sample = text[:400].strip()
    if len(sample) < 3:
        return None, 0.0
    language, probability = _identifier().classify(sample)
    return str(language), float(probability)
