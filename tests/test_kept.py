from __future__ import annotations

from bot.kept import Kept


def test_a_full_memo_forgets_everything_and_keeps_the_new_value() -> None:
    kept: Kept[str, int] = Kept(3)
    for n, key in enumerate("abc"):
        assert kept.keep(key, n) == n
    assert dict(kept) == {"a": 0, "b": 1, "c": 2}
    assert kept.keep("d", 3) == 3
    assert dict(kept) == {"d": 3}  # memory stays flat: never more than `most` values
