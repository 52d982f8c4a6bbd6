"""Sender spoofing signs, one trick at a time, and honest mail that must not be flagged."""

from __future__ import annotations

import base64

from app.mail.spoof import sender_warnings


def _messages(from_header: str, reply_to: list[tuple[str, str]] | None = None) -> list[str]:
    return [w.message for w in sender_warnings(from_header, reply_to or [])]


def test_honest_senders_raise_nothing() -> None:
    assert _messages("Sara Ahmadi <sara@example.org>") == []
    assert _messages('"sara@example.org" <Sara@Example.org>') == []  # her own address
    persian = "=?utf-8?b?" + base64.b64encode("سارا احمدی‌نژاد".encode()).decode() + "?="
    assert _messages(f"{persian} <sara@example.org>") == []  # ZWNJ is ordinary Persian
    assert _messages("Shop <info@xn--mgbtj4c7ad63e.ir>") == []  # فروشگاه: one script
    assert _messages("A <a@example.org>", [("", "help@support.example.org")]) == []
    assert _messages("A <a@mail.example.co.uk>", [("", "b@example.co.uk")]) == []
    assert _messages("") == [] and _messages("undisclosed-recipients:;") == []


def test_a_name_showing_another_address() -> None:
    warnings = sender_warnings('"ceo@example.com" <attacker@evil.example>', [])
    assert len(warnings) == 1
    assert warnings[0].params == {"shown": "ceo@example.com", "address": "attacker@evil.example"}


def test_encoded_words_that_hide_an_address_or_overrides() -> None:
    hidden = base64.b64encode(b"ceo@example.com <ceo@example.com>").decode()
    found = _messages(f"=?utf-8?b?{hidden}?= <attacker@evil.example>")
    assert "The sender's name is encoded to look like something else: %(shown)s" in found
    assert "The sender's name shows %(shown)s, but the message is from %(address)s." in found
    rlo = "=?utf-8?q?Bank=E2=80=AE?= <x@evil.example>"
    assert "The sender's name contains hidden direction-changing characters." in _messages(rlo)
    assert "The sender's address is written in a disguised form." in _messages(
        "Boss <=?utf-8?q?boss=40example.com?=@evil.example>"
    )


def test_lookalike_and_mixed_script_domains() -> None:
    mixed = sender_warnings("PayPal <service@pаypal.com>", [])  # Cyrillic а in Latin
    assert len(mixed) == 1 and mixed[0].params["ascii"] == "xn--pypal-4ve.com"
    assert _messages("Apple <id@xn--80ak6aa92e.com>")  # аррӏе: all Cyrillic look-alikes
    assert _messages("Bank <a@xn--bnk-qla.example>") == []  # bänk: Latin with an accent


def test_reply_to_on_another_domain() -> None:
    warnings = sender_warnings("CEO <ceo@example.com>", [("CEO", "ceo.private@evil.example")])
    assert [w.params for w in warnings] == [{"reply_to": "ceo.private@evil.example"}]
