"""Random inputs and commands never break a conversation: always answered, state always valid."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.dialogue.engine import Engine
from bot.dialogue.flow import Kind
from bot.dialogue.replies import Ask
from bot.dialogue.state import Input, State
from tests.dialogue.conftest import TODAY

WORDS = [
    "oui",
    "non",
    "1",
    "2",
    "3",
    "9",
    "0",
    "-1",
    "Guéret",
    "23000",
    "bordo",
    "saint paul",
    "Toulouse",
    "ordi",
    "je sais pas",
    "apprendre a lire",
    "Valider",
    "C'est bon",
    "Voir plus",
    "Continuer",
    "35",
    "150",
    "douze",
    "geo:46.17,1.87",
    "geo:99,999",
    "",
    "   ",
    "/retour",
    "/recommencer",
    "/aide",
    "/langue",
    "/stop",
    "retour",
    "?",
    "English",
    "Français",
    "🙂",
    "x" * 300,
    "Modifier : Commune",
    "'; DROP TABLE",
    "\x00",
    "٣",
]
CHOICES = [
    "yes",
    "no",
    "fr",
    "en",
    "french",
    "read_write",
    "unsure",
    "in_france",
    "never",
    "age_26_49",
    "car",
    "more",
    "continue",
    "summary",
    "ok",
    "done",
    "edit_where",
    "lang_en",
    "lang_fr",
    "other",
    "23096",
    "restart",
    "nonexistent",
    "",
]

inputs = st.one_of(
    st.builds(lambda t: Input(text=t), st.sampled_from(WORDS) | st.text(max_size=40)),
    st.builds(
        lambda c, s: Input(choice=c, step=s),
        st.sampled_from(CHOICES),
        st.sampled_from([None, "need", "where", "results", "old_step"]),
    ),
    st.builds(
        lambda la, lo: Input(location=(la, lo)),
        st.floats(-90, 90, allow_nan=False),
        st.floats(-180, 180, allow_nan=False),
    ),
    st.builds(
        lambda c: Input(command=c), st.sampled_from(["back", "restart", "help", "language", "stop"])
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    flow=st.sampled_from(["beneficiary", "volunteer"]),
    lang=st.sampled_from([None, "fr", "en"]),
    seq=st.lists(inputs, min_size=1, max_size=40),
)
def test_random_inputs_never_break_the_conversation(
    engine: Engine, flow: str, lang: str | None, seq: list[Input]
) -> None:
    turn = engine.start(flow, TODAY, lang)
    for inp in seq:
        turn = engine.handle(turn.state, inp, TODAY)
        assert turn.replies, inp  # every input is answered
        state = turn.state
        assert State.from_json(state.to_json()) == state  # serialisable and valid
        the_flow = engine.flows[state.flow]
        assert the_flow.has_step(state.step)
        if not state.done:  # never a dead end: the bot waits for something
            last = turn.replies[-1]
            assert isinstance(last, Ask), turn.replies
            step = the_flow.step(state.step)
            assert step.kind is not Kind.INFO
            if last.expects in ("choice", "choices"):
                assert last.options
