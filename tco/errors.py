"""Errors of slm-tco: one base class, subclasses that also derive from the matching built-in.

Every message names where the bad value came from (file and field), what was wrong and what was
expected, in one line, so the CLI and the app can show it as it is.
"""

from __future__ import annotations


class TcoError(Exception):
    """Base of every error slm-tco raises on purpose."""


MAX_MESSAGE = 1200  # characters of one error line; longer ones lose their middle


def one_line(text: str) -> str:
    """`text` with line breaks and other control characters written as escapes ("\\n"), so it stays one line.

    Field names and values come from users' files: a key holding a line break must not split the message,
    and a value of a million characters must not become a message of a million characters.
    """
    if len(text) > MAX_MESSAGE:  # a huge value echoed: keep the start (where) and the end (what was expected)
        text = f"{text[: MAX_MESSAGE // 2]} [... {len(text) - MAX_MESSAGE:,} characters left out ...] {text[-MAX_MESSAGE // 4 :]}"
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


class InputError(TcoError, ValueError):
    """A value a user gave (scenario, profile, reference data) is wrong.

    Attributes keep the parts of the message so callers can re-word or locate it.
    """

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None) -> None:
        self.file = file
        self.field = field
        self.detail = message
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = ": ".join(p for p in (self.file, self.field) if p)
        return one_line(f"{where}: {self.detail}" if where else self.detail)

    def located(self, *, file: str | None = None, field: str | None = None) -> InputError:
        """The same error with a file and/or a field prefix filled in where missing."""
        new_field = self.field
        if field:
            new_field = f"{field}.{self.field}" if self.field else field
        return type(self)(self.detail, file=self.file or file, field=new_field)


class UnitError(InputError, TypeError):
    """A quantity has the wrong dimension, cannot be parsed, or is out of range."""


class ReferenceDataError(InputError):
    """Reference data (profiles/) is inconsistent: duplicates, dangling references."""


class ScenarioError(InputError):
    """A scenario is inconsistent with itself or with the reference data."""


class ComputationError(TcoError, ArithmeticError):
    """The engine produced non-finite numbers (inputs too large to compute with)."""
