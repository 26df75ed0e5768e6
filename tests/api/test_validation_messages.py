"""Every 422 names the value it refuses and says what is allowed in JSON's terms: true, false
and null, "text" in double quotes, never Python's True, None, 'text' or b'bytes'."""

import json
import re
from typing import Any

import pytest
from starlette.testclient import TestClient


# Each test's requests are refused, or update only a conversation its own key made, and it
# reads only that conversation: one app serves the module (module_app).
@pytest.fixture(scope="module")
def sqlite_url(module_sqlite_url: str) -> str:
    return module_sqlite_url


@pytest.fixture(scope="module")
def app(module_app: TestClient) -> TestClient:
    return module_app


AGENT = "agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
PYTHON_REPR = re.compile(r"\b(True|False|None)\b|\bb'|'")
JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
"""A value quoted as JSON, which may hold any text the client sent."""
WHAT_IS_ALLOWED = re.compile(r"must|at most|at least|is not|does not match|is required|nests")

BODIES: list[tuple[object, str]] = [
    ({"summary": True}, "body.summary"),
    ({"summary": 5}, "body.summary"),
    ({"summary": ["a"]}, "body.summary"),
    ({"summary": {"a": 1}}, "body.summary"),
    ({"summary": "x" * 10_001}, "body.summary"),
    ({"summary": "a\x00b"}, "body.summary"),
    ({"description": ["x"]}, "body.description"),
    ({"model": "no-slash"}, "body.model"),
    ({"model": "openai/gpt\u202e4o"}, "body.model"),
    ({"model": False}, "body.model"),
    ({"context_window_limit": 0}, "body.context_window_limit"),
    ({"context_window_limit": 1.5}, "body.context_window_limit"),
    ({"context_window_limit": True}, "body.context_window_limit"),
    ({"model_settings": True}, "body.model_settings"),
    ({"model_settings": {"temperature": 1}}, "body.model_settings"),
    ({"model_settings": {"provider_type": None}}, "body.model_settings.provider_type"),
    ({"model_settings": {"provider_type": "nope"}}, "body.model_settings.provider_type"),
    (
        {"model_settings": {"provider_type": "openai", "temperature": 3}},
        "body.model_settings.temperature",
    ),
    (
        {"model_settings": {"provider_type": "openai", "strict": None}},
        "body.model_settings.strict",
    ),
    (
        {"model_settings": {"provider_type": "openai", "response_format": {"type": "json_schema"}}},
        "body.model_settings.response_format",
    ),
    (
        {
            "model_settings": {
                "provider_type": "google_ai",
                "thinking_config": {"thinking_budget": -2},
            }
        },
        "body.model_settings.thinking_config.thinking_budget",
    ),
    (
        {
            "x": [
                [
                    [
                        [
                            [
                                [
                                    [
                                        [
                                            [
                                                [
                                                    [
                                                        [
                                                            [
                                                                [
                                                                    [
                                                                        [
                                                                            [
                                                                                [
                                                                                    [
                                                                                        [
                                                                                            [
                                                                                                [
                                                                                                    [
                                                                                                        [
                                                                                                            [
                                                                                                                [
                                                                                                                    [
                                                                                                                        [
                                                                                                                            [
                                                                                                                                [
                                                                                                                                    [
                                                                                                                                        [
                                                                                                                                            [
                                                                                                                                                [
                                                                                                                                                    [
                                                                                                                                                        [
                                                                                                                                                            [
                                                                                                                                                                [
                                                                                                                                                                    [
                                                                                                                                                                        [
                                                                                                                                                                            [
                                                                                                                                                                                [
                                                                                                                                                                                    [
                                                                                                                                                                                        [
                                                                                                                                                                                            [
                                                                                                                                                                                                [
                                                                                                                                                                                                    [
                                                                                                                                                                                                        [
                                                                                                                                                                                                            [
                                                                                                                                                                                                                [
                                                                                                                                                                                                                    [
                                                                                                                                                                                                                        [
                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                                                        []
                                                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                ]
                                                                                                                                                                                                            ]
                                                                                                                                                                                                        ]
                                                                                                                                                                                                    ]
                                                                                                                                                                                                ]
                                                                                                                                                                                            ]
                                                                                                                                                                                        ]
                                                                                                                                                                                    ]
                                                                                                                                                                                ]
                                                                                                                                                                            ]
                                                                                                                                                                        ]
                                                                                                                                                                    ]
                                                                                                                                                                ]
                                                                                                                                                            ]
                                                                                                                                                        ]
                                                                                                                                                    ]
                                                                                                                                                ]
                                                                                                                                            ]
                                                                                                                                        ]
                                                                                                                                    ]
                                                                                                                                ]
                                                                                                                            ]
                                                                                                                        ]
                                                                                                                    ]
                                                                                                                ]
                                                                                                            ]
                                                                                                        ]
                                                                                                    ]
                                                                                                ]
                                                                                            ]
                                                                                        ]
                                                                                    ]
                                                                                ]
                                                                            ]
                                                                        ]
                                                                    ]
                                                                ]
                                                            ]
                                                        ]
                                                    ]
                                                ]
                                            ]
                                        ]
                                    ]
                                ]
                            ]
                        ]
                    ]
                ]
            ]
        },
        "body.x",
    ),  # fmt: skip
    ([], "body"),
    ("summary", "body"),
    (3, "body"),
]
CREATE_ONLY = [({"hidden": None}, "body.hidden"), ({"hidden": "yes"}, "body.hidden")]
UPDATE_ONLY = [
    ({"last_message_at": "2016-12-31T23:59:60Z"}, "body.last_message_at"),
    ({"last_message_at": "2026-01-01T00:00:00Z\n"}, "body.last_message_at"),
    ({"last_message_at": "yesterday"}, "body.last_message_at"),
    ({"last_message_at": "0001-01-01T00:00:00Z"}, "body.last_message_at"),
    ({"last_message_at": True}, "body.last_message_at"),
    ({"archived": "yes"}, "body.archived"),
    ({"archived": 1}, "body.archived"),
    (None, "body"),
]
QUERIES = [
    ({"limit": "true"}, "query.limit"),
    ({"limit": "0"}, "query.limit"),
    ({"limit": "101"}, "query.limit"),
    ({"limit": "-1"}, "query.limit"),
    ({"order": "None"}, "query.order"),
    ({"order_by": "False"}, "query.order_by"),
    ({"archive_status": "True"}, "query.archive_status"),
    ({"agent_id": "agent-x"}, "query.agent_id"),
    ({"summary_search": ""}, "query.summary_search"),
    ({"summary_search": "x" * 1001}, "query.summary_search"),
    *(
        ({"after": after}, "query.after")
        for after in (
            "conv-123",
            "CONV-5B1F3C2E-8A4D-4E6F-9B0A-1C2D3E4F5A6B",
            "agent-x",
            "default",
            " ",
            "a.b",
            "conv-1." + "A" * 21,
            "conv-1." + "A" * 23,
            "a b." + "A" * 22,
        )
    ),
]


JSON = {"content-type": "application/json"}
"""Bodies are sent as content=json.dumps(body) with this header: httpx's json=None sends none."""


def assert_names_and_explains(answer: Any, name: str) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    (invalid,) = problem["invalid_params"]
    assert invalid["name"] == name
    reason = invalid["reason"]
    assert problem["detail"] == f"{name}: {reason}"
    assert PYTHON_REPR.search(JSON_STRING.sub('""', reason)) is None, reason
    assert WHAT_IS_ALLOWED.search(reason) is not None, reason


@pytest.mark.parametrize(("body", "name"), BODIES + CREATE_ONLY)
def test_every_422_to_a_create_names_the_field_and_says_what_is_allowed_in_json_terms(
    app: TestClient, key: dict[str, str], body: object, name: str
) -> None:
    answer = app.post(
        "/conversations/",
        params={"agent_id": AGENT},
        content=json.dumps(body),
        headers={**key, **JSON},
    )
    assert_names_and_explains(answer, name)
    assert app.get("/conversations/", headers=key).json() == []


@pytest.mark.parametrize(("body", "name"), BODIES + UPDATE_ONLY)
def test_every_422_to_an_update_names_the_field_and_says_what_is_allowed_in_json_terms(
    app: TestClient, key: dict[str, str], body: object, name: str
) -> None:
    created = app.post("/conversations/", params={"agent_id": AGENT}, headers=key).json()
    answer = app.patch(
        f"/conversations/{created['id']}", content=json.dumps(body), headers={**key, **JSON}
    )
    assert_names_and_explains(answer, name)
    assert app.get(f"/conversations/{created['id']}", headers=key).json() == created


@pytest.mark.parametrize(("params", "name"), QUERIES)
def test_every_422_to_a_list_names_the_parameter_and_says_what_is_allowed_in_json_terms(
    app: TestClient, key: dict[str, str], params: dict[str, str], name: str
) -> None:
    assert_names_and_explains(app.get("/conversations/", params=params, headers=key), name)


def test_a_422_for_a_path_a_header_or_a_missing_parameter_names_it(
    app: TestClient, key: dict[str, str]
) -> None:
    assert_names_and_explains(app.get("/conversations/conv-x", headers=key), "path.conversation_id")
    assert_names_and_explains(
        app.post(
            "/conversations/", params={"agent_id": AGENT}, headers={**key, "Idempotency-Key": "a b"}
        ),
        "header.Idempotency-Key",
    )
    assert_names_and_explains(app.post("/conversations/", headers=key), "query.agent_id")
    assert_names_and_explains(
        app.post("/conversations/", params={"agent_id": "agent-nope"}, headers=key),
        "query.agent_id",
    )


@pytest.mark.parametrize(
    "conversation_id",
    ["conv-123", "CONV-5B1F3C2E-8A4D-4E6F-9B0A-1C2D3E4F5A6B", "agent-x", "defaults", " "],
)
def test_an_update_of_a_malformed_id_is_a_422_naming_it(
    app: TestClient, key: dict[str, str], conversation_id: str
) -> None:
    # "defaults" is neither the alias nor an id.
    answer = app.patch(f"/conversations/{conversation_id}", json={}, headers=key)
    assert_names_and_explains(answer, "path.conversation_id")


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_the_default_alias_without_agent_id_is_a_422_saying_what_is_missing(
    app: TestClient, key: dict[str, str], method: str
) -> None:
    # schemathesis ST202 (positive data rejected): `default` once sat in the {conversation_id}
    # pattern, so the spec called a request without agent_id valid while the server answered
    # 422. The alias now has a path of its own where agent_id is required.
    answer = app.request(method, "/conversations/default", headers=key)
    assert_names_and_explains(answer, "query.agent_id")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"summary": True}, "must be a string or null, not true"),
        (
            {"model_settings": {"provider_type": "openai", "strict": None}},
            "must be true or false, not null",
        ),
        (
            {"model_settings": {"provider_type": "openai", "temperature": 3}},
            "must be at most 2, not 3",
        ),
        ({"model_settings": {"temperature": 1}}, 'must have the member "provider_type"'),
        ({"summary": "a\x00b"}, '"a\\u0000b" does not match the pattern "^[^\\\\x00]*$"'),
        (
            {"model": "openai/gpt\u202e4o"},
            '"openai/gpt\\u202e4o" does not match the pattern'
            ' "^[A-Za-z0-9][A-Za-z0-9._-]*/[\\\\x21-\\\\x7E]+$"',
        ),
    ],
)
def test_a_reason_reads_in_json_terms(
    app: TestClient, key: dict[str, str], body: object, reason: str
) -> None:
    answer = app.post("/conversations/", params={"agent_id": AGENT}, json=body, headers=key)
    assert answer.json()["invalid_params"][0]["reason"] == reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (
            "2016-12-31T23:59:60Z",
            '"2016-12-31T23:59:60Z" is not a time this server can hold: an RFC 3339 date-time'
            " of a day that exists, its seconds 00 to 59 (a leap second, :60, cannot be held)",
        ),
        (
            "2026-01-01T00:00:00Z\n",
            '"2026-01-01T00:00:00Z\\n" is not an RFC 3339 date-time with an offset, such as'
            ' "2026-11-29T10:21:00Z"',
        ),
    ],
    ids=["leap second", "trailing newline"],
)
def test_a_time_refused_says_which_times_are_allowed(
    app: TestClient, key: dict[str, str], value: str, reason: str
) -> None:
    created = app.post("/conversations/", params={"agent_id": AGENT}, headers=key).json()
    answer = app.patch(
        f"/conversations/{created['id']}", json={"last_message_at": value}, headers=key
    )
    assert answer.json()["invalid_params"] == [{"name": "body.last_message_at", "reason": reason}]
