"""Prompts of a chosen length for `tco measure --endpoint --input-tokens`: the task's prompts, each after a
context of the task set's other inputs, long enough that the request has about N input tokens.

The served model's tokenizer is not at hand (only its HTTP API), so the length is set in characters: one
probe request of a known text gives the server's characters per prompt token (its `usage.prompt_tokens`),
and each prompt's context is cut to (N - the prompt's own tokens) x that ratio. The lengths that reached
the server are measured per request from its `usage`, so the profile records the real mean input tokens
beside the nominal N. Each prompt's context starts at a different place of the set, so no two requests
share a long prefix (a server's prefix cache would otherwise prefill them almost for free).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from measure.tasks import Prompt, Task
from tco.errors import InputError

CONTEXT_HEADER = "Context (earlier messages):\n"
MAX_INPUT_TOKENS = 1_000_000  # longer than any served model's context today; more is a typo


def chars_per_token(probe: Callable[[str], int | None], sample: str) -> float:
    """Characters per prompt token of the served model: len(sample) / the prompt tokens the server counts
    for it (`probe` sends it and returns usage.prompt_tokens, None when the server reports no usage)."""
    tokens = probe(sample)
    if not tokens:
        raise InputError(
            "the server reports no prompt token counts (usage.prompt_tokens): --input-tokens needs them",
            field="--input-tokens",
        )
    return len(sample) / tokens


def prompts_of_length(
    task: Task,
    prompts: Sequence[Prompt],
    target: int,
    prompt_chars_per_tok: float,
    context_chars_per_tok: float,
) -> list[str]:
    """The task's prompts (templated), each preceded by a context of the other inputs so that the whole
    request has about `target` tokens (the prompt's own tokens at `prompt_chars_per_tok`, the context's at
    `context_chars_per_tok`); a prompt already that long is sent as it is."""
    corpus = context_corpus(prompts)
    out = []
    for i, p in enumerate(prompts):
        text = task.template.format(input=p.input)
        own = (len(text) + len(CONTEXT_HEADER) + 2) / prompt_chars_per_tok
        missing = round((target - own) * context_chars_per_tok)
        if missing <= 0:
            out.append(text)
            continue
        start = (i * len(corpus)) // max(len(prompts), 1)
        reps = missing // len(corpus) + 2
        context = (corpus[start:] + corpus * reps)[:missing]
        out.append(f"{CONTEXT_HEADER}{context}\n\n{text}")
    return out


def context_corpus(prompts: Sequence[Prompt]) -> str:
    """The text contexts are cut from: the task set's inputs, one per line."""
    return "\n".join(p.input for p in prompts) + "\n"


def parse_input_tokens(text: str) -> tuple[int, ...]:
    """`--input-tokens 128,1024,8192`: distinct whole numbers of tokens, ascending."""
    try:
        values = sorted({int(v.strip()) for v in text.split(",") if v.strip()})
    except ValueError as e:
        raise InputError(
            f"expected whole numbers such as 128,1024,8192, got {text!r}", field="--input-tokens"
        ) from e
    if not values or values[0] < 1 or values[-1] > MAX_INPUT_TOKENS:
        raise InputError(
            f"expected lengths from 1 to {MAX_INPUT_TOKENS:,} tokens, got {text!r}", field="--input-tokens"
        )
    return tuple(values)
