"""A list page as each engine reads it: the conversations' fields, with no model built."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from server_impl.domain.ports import NewConversation, Page
from server_impl.storage import conversation_rows, store_for
from tests.support import run_async

ORG = "org-00000000-0000-4000-8000-0000000000d1"


class NoModels:
    def validate_python(self, *_args: object, **_kwargs: object) -> None:
        raise AssertionError("a list page built a model")


def test_a_list_page_builds_no_model_per_conversation(
    engine: str, new_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building and validating a model per conversation cost about as much as the rest of a
    request for a page of 50 (bench/results.md, issue 23)."""

    url = new_database(engine)

    async def scenario() -> list[str]:
        store = store_for(url)
        await store.open()
        try:
            for number in range(3):
                await store.insert(
                    NewConversation(
                        id=f"conv-00000000-0000-4000-8000-{number:012d}",
                        organization_id=ORG,
                        agent_id="agent-00000000-0000-4000-8000-000000000001",
                        summary=f"s{number}",
                        created_at=datetime(2026, 1, 2, number, tzinfo=UTC),
                        created_by_id="user-00000000-0000-4000-8000-000000000001",
                    )
                )
            # Every write answers its conversation as a model; from here on, none may be built.
            monkeypatch.setattr(conversation_rows, "_AS_STORED", NoModels())
            return [c["summary"] for c in await store.list_page(Page(ORG, 10, "asc"))]
        finally:
            await store.close()

    assert run_async(scenario()) == ["s0", "s1", "s2"]
