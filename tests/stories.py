"""Distinct relevant stories for delivery tests (written for these tests)."""

from __future__ import annotations

from tests.feeds import Item

STORIES = [
    Item(
        title="Putin and Pezeshkian sign comprehensive strategic partnership treaty",
        link="https://wire.example.org/signing",
        summary="The presidents of Russia and Iran signed the 20-year treaty in the Kremlin.",
    ),
    Item(
        title="State Duma ratifies Russia-Iran strategic partnership treaty",
        link="https://wire.example.org/duma",
        summary="Russian deputies voted to ratify the comprehensive strategic partnership treaty with Iran.",
    ),
    Item(
        title="Majlis approves strategic partnership treaty with Russia",
        link="https://wire.example.org/majlis",
        summary="Iran's parliament ratified the comprehensive strategic partnership treaty with Moscow.",
    ),
    Item(
        title="Russia-Iran treaty enters into force, Moscow says",
        link="https://wire.example.org/in-force",
        summary="The Russian Foreign Ministry said the comprehensive strategic partnership treaty with Iran entered into force.",
    ),
    Item(
        title="Tehran and Moscow set up commission to implement partnership treaty",
        link="https://wire.example.org/commission",
        summary="Iran and Russia created a joint body to implement their comprehensive strategic partnership treaty, starting with payments.",
    ),
    Item(
        title="Analysis: Russia-Iran treaty stops short of an alliance",
        link="https://wire.example.org/analysis",
        summary="The comprehensive strategic partnership treaty between Russia and Iran has no mutual defence clause, unlike Moscow's pact with Pyongyang.",
    ),
]
