"""Canary strings for the no-PHI-where-it-leaks sweep: unique markers put into every free-text
patient field, and the scanner that looks for them in logs, e-mails, text messages and URLs."""

import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

LINK = re.compile(r"https?://[^\s\"'<>]+")
ATTRIBUTE_URL = re.compile(r"""(?:href|action|src|formaction)\s*=\s*["']([^"']*)["']""", re.I)


def canary(kind: str) -> str:
    """A marker that cannot occur by chance: letters only (it passes name fields)."""
    letters = "".join(secrets.choice("bcdfghjkmnpqrstvwxz") for _ in range(12))
    return f"Zq{kind.capitalize()}{letters}"


def digits_canary() -> str:
    """A phone number no log line can contain by chance (12 random digits after +44)."""
    return "+44" + "".join(secrets.choice("0123456789") for _ in range(12))


@dataclass
class Canaries:
    """The canaries seeded, by the field they went into, and what was scanned for them."""

    by_field: dict[str, str] = field(default_factory=dict)
    scanned: dict[str, int] = field(
        default_factory=lambda: {"log lines": 0, "e-mails": 0, "text messages": 0, "URLs": 0}
    )
    found: list[str] = field(default_factory=list)

    def add(self, name: str, value: str | None = None) -> str:
        self.by_field[name] = value or canary(name.split(".")[-1].replace("_", ""))
        return self.by_field[name]

    def hits(self, text: str) -> list[str]:
        """The fields whose canary occurs in ``text`` (as is, lower-cased or URL-decoded)."""
        haystack = text.lower() + "\n" + unquote_plus(text).lower()
        found = []
        for name, value in self.by_field.items():
            needles = {value.lower()}
            if value.startswith("+"):
                needles.add(value[1:])  # the phone number without its plus
            if any(needle in haystack for needle in needles):
                found.append(name)
        return found

    def scan(self, kind: str, where: str, text: str) -> None:
        self.scanned[kind] += 1
        for name in self.hits(text):
            self.found.append(f"{name} in {kind} ({where}): {text[:200]!r}")

    def scan_log(self, source: str, text: str) -> None:
        for number, line in enumerate(text.splitlines(), 1):
            self.scan("log lines", f"{source}:{number}", line)

    def scan_urls(self, where: str, urls: list[str]) -> None:
        for url in urls:
            self.scan("URLs", where, url)

    def report(self) -> str:
        counts = ", ".join(f"{count} {kind}" for kind, count in self.scanned.items())
        return f"canary sweep: {len(self.by_field)} canaries seeded; scanned {counts}"


def urls_in_html(html: str) -> list[str]:
    return [match.group(1) for match in ATTRIBUTE_URL.finditer(html)]


def urls_in_text(text: str) -> list[str]:
    return LINK.findall(text)
