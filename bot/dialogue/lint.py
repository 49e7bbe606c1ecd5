"""`repere flows check`: graph faults, missing translations, Telegram limits and FALC rules."""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from bot.dialogue.flow import (
    FACTS,
    QUESTION_KINDS,
    Flow,
    Kind,
    Step,
    Texts,
    flow_files,
    load_flow,
)
from bot.dialogue.lint_same import left_in_french
from bot.dialogue.replies import button_payload
from bot.messages import MessagesFile
from bot.yamlsrc import DataError, Problem, Source, read_source, validate

CALLBACK_LIMIT = 64  # bytes, Telegram's callback_data
MAX_QUESTIONS_BEFORE_RESULTS = 8
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")
_WORD = re.compile(r"[\wÀ-ÿ'’-]+")
_EMOJI = re.compile(r"[\U0001F000-\U0001FFFF\u2600-\u27BF\u2B00-\u2BFF]")


class FalcRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_words: int = 15
    abbreviations: list[str] = []


def callback_payload(flow: Flow, step: Step, choice_id: str) -> str:
    return button_payload(flow.id, flow.version, step.id, choice_id)


class Glossary(BaseModel):
    model_config = ConfigDict(extra="forbid")
    keep_in_french: list[str] = []
    terms: dict[str, dict[str, str]] = {}


def check_flows(directory: Path, glossary_path: Path | None = None) -> list[Problem]:
    problems: list[Problem] = []
    rules = _rules(directory, problems)
    glossary = _glossary(glossary_path, problems)
    languages: list[str] = []
    try:
        source = read_source(directory / "messages.yaml")
        messages = validate(source, MessagesFile)
        languages = list(messages.languages)
        problems += lint_messages(messages, source, glossary)
    except DataError as exc:
        problems.extend(exc.problems)
    for path in flow_files(directory):
        try:
            flow, flow_source = load_flow(path)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(lint_flow(flow, flow_source, rules, glossary))
        missing = [lang for lang in languages if lang not in flow.languages]
        if missing:
            problems.append(
                flow_source.problem(
                    ("languages",), f"the flow lacks languages the bot offers: {', '.join(missing)}"
                )
            )
    for lang in glossary.terms.values():
        absent = [code for code in languages if code not in lang]
        if absent:
            problems.append(
                Problem(
                    str(glossary_path),
                    1,
                    f"glossary term '{lang.get('fr')}' lacks: {', '.join(absent)}",
                )
            )
    return problems


def _glossary(path: Path | None, problems: list[Problem]) -> Glossary:
    if path is None or not path.exists():
        return Glossary()
    try:
        return validate(read_source(path), Glossary)
    except DataError as exc:
        problems.extend(exc.problems)
        return Glossary()


def lint_messages(messages: MessagesFile, source: Source, glossary: Glossary) -> list[Problem]:
    """Every message and the month names in every language; French proper names kept."""
    out: list[Problem] = []
    for key, texts in messages.messages.items():
        loc = ("messages", key)
        missing = [lang for lang in messages.languages if not (texts.get(lang) or "").strip()]
        if missing:
            out.append(
                source.problem(loc, f"message '{key}': missing translation: {', '.join(missing)}")
            )
        out += [source.problem(loc, m) for m in _kept_names(texts, glossary)]
        out += [source.problem(loc, m) for m in left_in_french(texts, glossary.keep_in_french)]
    for lang in messages.languages:
        names = messages.months.get(lang)
        if names is None or len(names) != 12:
            out.append(source.problem(("months",), f"months: 12 names needed for '{lang}'"))
    for lang in messages.rtl:
        if lang not in messages.languages:
            out.append(source.problem(("rtl",), f"rtl: unknown language '{lang}'"))
    return out


def _kept_names(texts: Texts, glossary: Glossary) -> list[str]:
    french = texts.get("fr", "")
    out = []
    for name in glossary.keep_in_french:
        if name in french:
            dropped = [lang for lang, text in texts.items() if lang != "fr" and name not in text]
            if dropped:
                out.append(
                    f"'{name}' stays in French in every language; missing in: {', '.join(dropped)}"
                )
    return out


def _rules(directory: Path, problems: list[Problem]) -> FalcRules:
    path = directory / "falc.yaml"
    if not path.exists():
        return FalcRules()
    try:
        return validate(read_source(path), FalcRules)
    except DataError as exc:
        problems.extend(exc.problems)
        return FalcRules()


def lint_flow(
    flow: Flow, source: Source, rules: FalcRules, glossary: Glossary | None = None
) -> list[Problem]:
    out: list[Problem] = []
    index = {s.id: i for i, s in enumerate(flow.steps)}

    def at(step: Step, *rest: str | int) -> tuple[str | int, ...]:
        return ("steps", index[step.id], *rest)

    edges = _edges(flow)
    if not flow.has_step(flow.start):
        out.append(source.problem(("start",), f"start step '{flow.start}' does not exist"))
    if flow.followup is not None and not flow.has_step(flow.followup.step):
        out.append(
            source.problem(
                ("followup", "step"), f"follow-up step '{flow.followup.step}' does not exist"
            )
        )
    if flow.followup is None and any(c.data.followup for s in flow.steps for c in s.choices):
        out.append(
            source.problem(("start",), "a choice offers a follow-up but the flow has no 'followup'")
        )
    for step in flow.steps:
        for target, loc in edges[step.id]:
            if not flow.has_step(target):
                out.append(
                    source.problem(
                        at(step, *loc), f"step '{step.id}' goes to unknown step '{target}'"
                    )
                )
    # reachability from the start
    seen = _reachable(flow, edges)
    for step in flow.steps:
        if step.id not in seen:
            out.append(source.problem(at(step), f"step '{step.id}' cannot be reached"))
    # dead ends: a question with nowhere to go, or rules that may match nothing
    for step in flow.steps:
        if step.kind is Kind.INFO:
            continue
        if step.next is None and not any(c.next or c.action for c in step.choices):
            out.append(source.problem(at(step), f"step '{step.id}' is a dead end: give it 'next'"))
        elif (
            isinstance(step.next, list)
            and all(r.when for r in step.next)
            and not any(c.next for c in step.choices)
        ):
            out.append(
                source.problem(
                    at(step, "next"),
                    f"step '{step.id}': every rule has a condition; add a last rule without 'if'",
                )
            )
        elif step.next is None and any(not (c.next or c.action) for c in step.choices):
            out.append(
                source.problem(
                    at(step), f"step '{step.id}' is a dead end for some choices: give it 'next'"
                )
            )
    out += _translations(flow, source, at)
    for step in flow.steps:  # languages are named in their own script, on purpose
        for i, c in enumerate(step.choices):
            if not c.data.lang:
                kept = (glossary or Glossary()).keep_in_french
                loc = at(step, "choices", i, "label")
                out += [source.problem(loc, m) for m in left_in_french(c.label, kept)]
    for loc, texts in _own_texts(flow, at):
        kept = (glossary or Glossary()).keep_in_french
        out += [source.problem(loc, m) for m in left_in_french(texts, kept)]
    for loc, texts in _all_texts(flow, at):
        out += [source.problem(loc, m) for m in _kept_names(texts, glossary or Glossary())]
    out += _callbacks(flow, source, at)
    out += _conditions(flow, source, at)
    if flow.audience == "beneficiary":
        out += _questions_before_results(flow, source)
        for step in flow.steps:
            for i, c in enumerate(step.choices):
                if not c.emoji:
                    out.append(
                        source.problem(
                            at(step, "choices", i),
                            f"choice '{c.id}' of '{step.id}' needs a pictogram (emoji)",
                        )
                    )
    for loc, text in _french_texts(flow, at):
        for message in falc_faults(text, rules):
            out.append(source.problem(loc, message))
    return out


def _edges(flow: Flow) -> dict[str, list[tuple[str, tuple[str | int, ...]]]]:
    """step id -> [(target, where in the step)], including summary edits."""
    edges: dict[str, list[tuple[str, tuple[str | int, ...]]]] = {}
    for step in flow.steps:
        out: list[tuple[str, tuple[str | int, ...]]] = []
        if isinstance(step.next, str):
            out.append((step.next, ("next",)))
        elif isinstance(step.next, list):
            out += [(r.goto, ("next", i, "goto")) for i, r in enumerate(step.next)]
        out += [(c.next, ("choices", i, "next")) for i, c in enumerate(step.choices) if c.next]
        edges[step.id] = out
    return edges


def _reachable(flow: Flow, edges: dict[str, list[tuple[str, tuple[str | int, ...]]]]) -> set[str]:
    roots = [flow.start] + ([flow.followup.step] if flow.followup else [])
    seen = set(roots)
    queue = deque(roots)
    summary_edits = {s.id for s in flow.steps if s.label and s.store}
    while queue:
        current = queue.popleft()
        targets = [t for t, _ in edges.get(current, [])]
        if flow.has_step(current) and flow.step(current).kind is Kind.SUMMARY:
            targets += sorted(summary_edits)
        for target in targets:
            if target not in seen and flow.has_step(target):
                seen.add(target)
                queue.append(target)
    return seen


def _all_texts(flow: Flow, at) -> list[tuple[tuple[str | int, ...], Texts]]:  # type: ignore[no-untyped-def]
    found: list[tuple[tuple[str | int, ...], Texts]] = [(("title",), flow.title)]
    for step in flow.steps:
        found.append((at(step, "text"), step.text))
        if step.help:
            found.append((at(step, "help"), step.help))
        if step.label:
            found.append((at(step, "label"), step.label))
        for i, c in enumerate(step.choices):
            found.append((at(step, "choices", i, "label"), c.label))
    return found


def _own_texts(flow: Flow, at) -> list[tuple[tuple[str | int, ...], Texts]]:  # type: ignore[no-untyped-def]
    """Every text but the choices' labels (checked apart)."""
    found: list[tuple[tuple[str | int, ...], Texts]] = [(("title",), flow.title)]
    for step in flow.steps:
        found += [
            (at(step, key), texts)
            for key in ("text", "help", "label")
            if (texts := getattr(step, key))
        ]
    return found


def _translations(flow: Flow, source: Source, at) -> list[Problem]:  # type: ignore[no-untyped-def]
    out = []
    for loc, texts in _all_texts(flow, at):
        missing = [lang for lang in flow.languages if not (texts.get(lang) or "").strip()]
        if missing:
            out.append(source.problem(loc, f"missing translation: {', '.join(missing)}"))
        extra = [lang for lang in texts if lang not in flow.languages]
        if extra:
            out.append(
                source.problem(loc, f"language not declared by the flow: {', '.join(extra)}")
            )
    return out


def _callbacks(flow: Flow, source: Source, at) -> list[Problem]:  # type: ignore[no-untyped-def]
    out = []
    for step in flow.steps:
        for i, c in enumerate(step.choices):
            payload = callback_payload(flow, step, c.id)
            size = len(payload.encode())
            if size > CALLBACK_LIMIT:
                out.append(
                    source.problem(
                        at(step, "choices", i, "id"),
                        f"button '{payload}' is {size} bytes; Telegram "
                        f"allows {CALLBACK_LIMIT}: shorten the ids",
                    )
                )
        if step.kind is Kind.SUMMARY:  # the summary's "modifier" buttons
            for other in flow.steps:
                payload = callback_payload(flow, step, f"edit_{other.id}")
                if other.label and len(payload.encode()) > CALLBACK_LIMIT:
                    out.append(
                        source.problem(
                            at(other, "id"),
                            f"the summary's button for '{other.id}' would "
                            f"exceed {CALLBACK_LIMIT} bytes",
                        )
                    )
    return out


def _conditions(flow: Flow, source: Source, at) -> list[Problem]:  # type: ignore[no-untyped-def]
    """A condition must name a step, and choices that step offers."""
    out = []
    for step in flow.steps:
        rules = (
            [("next", i, r.when) for i, r in enumerate(step.next)]
            if isinstance(step.next, list)
            else []
        )
        rules += [("themes", i, r.when) for i, r in enumerate(step.themes)]
        for part, i, when in rules:
            for key, value in when.items():
                if key in FACTS and not flow.has_step(key):
                    values = [value] if isinstance(value, str) else value
                    out += [
                        source.problem(at(step, part, i), f"'{key}' is never '{v}'")
                        for v in values
                        if v not in FACTS[key]
                    ]
                    continue
                if not flow.has_step(key):
                    out.append(
                        source.problem(at(step, part, i), f"condition on unknown step '{key}'")
                    )
                    continue
                target = flow.step(key)
                known = {c.id for c in target.choices} | (
                    {"yes", "no"} if target.kind is Kind.YESNO else set()
                )
                values = [value] if isinstance(value, str) else value
                for v in values:
                    if known and v not in known:
                        out.append(
                            source.problem(at(step, part, i), f"'{key}' has no choice '{v}'")
                        )
    return out


def _questions_before_results(flow: Flow, source: Source) -> list[Problem]:
    """The longest path of questions (settings aside) from the start to the first results."""
    longest: dict[str, int] = {}

    def walk(step_id: str, asked: int, path: frozenset[str]) -> int:
        if not flow.has_step(step_id) or step_id in path:
            return 0
        step = flow.step(step_id)
        if step.kind is Kind.RESULTS:
            return asked
        if step.kind in QUESTION_KINDS and not step.setting:
            asked += 1
        targets = [t for t, _ in _edges(flow)[step_id]]
        worst = max((walk(t, asked, path | {step_id}) for t in targets), default=0)
        longest[step_id] = worst
        return worst

    worst = walk(flow.start, 0, frozenset())
    if worst > MAX_QUESTIONS_BEFORE_RESULTS:
        return [
            source.problem(
                ("start",),
                f"up to {worst} questions before the first results;"
                f" keep it at {MAX_QUESTIONS_BEFORE_RESULTS} or fewer",
            )
        ]
    return []


def _french_texts(flow: Flow, at) -> list[tuple[tuple[str | int, ...], str]]:  # type: ignore[no-untyped-def]
    return [(loc, texts["fr"]) for loc, texts in _all_texts(flow, at) if texts.get("fr")]


def falc_faults(text: str, rules: FalcRules) -> list[str]:
    """Easy-read faults of one French text."""
    faults = []
    clean = _EMOJI.sub(" ", text)
    for sentence in _SENTENCE.split(clean.strip()):
        n = len(_WORD.findall(sentence))
        if n > rules.max_words:
            faults.append(
                f"FALC: sentence of {n} words (at most {rules.max_words}): "
                f"'{sentence.strip()[:60]}'"
            )
    if text.count("?") > 1:
        faults.append("FALC: one question per message")
    banned = {a.lower() for a in rules.abbreviations}
    for word in _WORD.findall(clean):
        bare = word.strip("'’-").lower()
        if bare in banned:
            faults.append(f"FALC: abbreviation '{word}': write the words out")
    return faults


def graph(flow: Flow) -> str:
    """A Mermaid diagram of the flow."""
    lines = ["flowchart TD"]
    for step in flow.steps:
        label = step.text["fr"].replace('"', "'")
        label = label if len(label) <= 40 else label[:37] + "..."
        lines.append(f'    {step.id}["{step.id} ({step.kind.value})<br/>{label}"]')
    for step in flow.steps:
        if isinstance(step.next, str):
            lines.append(f"    {step.id} --> {step.next}")
        elif isinstance(step.next, list):
            for rule in step.next:
                cond = ", ".join(
                    f"{k}={v if isinstance(v, str) else '|'.join(v)}" for k, v in rule.when.items()
                )
                arrow = f"-- {cond} -->" if cond else "-->"
                lines.append(f"    {step.id} {arrow} {rule.goto}")
        for c in step.choices:
            if c.next:
                lines.append(f"    {step.id} -- {c.id} --> {c.next}")
    return "\n".join(lines)
