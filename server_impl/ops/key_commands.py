"""`keys create | list | revoke | limit`: API keys minted, listed, revoked and given their own
rate limit, on the database the servers share (so a change reaches every server)."""

import argparse
import sys
from typing import Any

from server_impl.domain import keys, rate_limits
from server_impl.domain.ports import KeyLimit, Store

from .commands import Refused


def add_commands(commands: Any, database: argparse.ArgumentParser) -> None:
    """Adds `keys` and its actions to the parser's `commands`; database gives --database-url."""
    summary = "Mints, lists and revokes API keys."
    keys_parser = commands.add_parser("keys", help=summary, description=summary)
    key_commands = keys_parser.add_subparsers(dest="key_command", required=True, metavar="ACTION")

    def key_command(name: str, summary: str) -> Any:
        return key_commands.add_parser(name, parents=[database], help=summary, description=summary)

    create = key_command(
        "create", "Mints a key for a user of an organization and prints the key, and only it."
    )
    create.add_argument(
        "--organization",
        required=True,
        type=_name,
        help=f"The organization's name: 1 to {keys.NAME_MAX_LENGTH} characters once trimmed, no"
        " control or format characters. Reused if it exists, whatever its case.",
    )
    create.add_argument(
        "--user",
        required=True,
        type=_name,
        help="The user's name in it, by the same rules. Reused if it exists, whatever its case.",
    )
    _limit_options(create, "The key's own")
    key_command(
        "list",
        "Prints one line per key: its id, organization/user, when it was created, and whether"
        " it is active or revoked. Never the key itself.",
    )
    revoke = key_command(
        "revoke", "Revokes a key at once, on every server. Exits with 1 for an unknown key."
    )
    revoke.add_argument("key_id", metavar="KEY_ID", help="The key's id, as `keys list` shows it.")
    limit = key_command(
        "limit",
        "Sets a key's own rate limit (--rate with --burst), or gives it the server's default"
        " again (--clear). Each server applies it within a tenth of a second of the key's"
        " requests. Exits with 1 for an unknown key.",
    )
    limit.add_argument("key_id", metavar="KEY_ID", help="The key's id, as `keys list` shows it.")
    _limit_options(limit, "The key's new")
    limit.add_argument(
        "--clear",
        action="store_true",
        help="Gives the key the server's default limit (--key-rate and --key-burst) again.",
    )


def _name(value: str) -> str:
    try:
        return keys.parse_name(value).text
    except keys.InvalidName as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _limit_options(parser: argparse.ArgumentParser, whose: str) -> None:
    parser.add_argument(
        "--rate",
        metavar="RATE",
        help=f"{whose} sustained rate of requests: N/s or N/min, above 0 and at most 100000/s."
        " Goes with --burst. Without either, the server's default applies.",
    )
    parser.add_argument(
        "--burst",
        type=int,
        metavar="N",
        help=f"{whose} burst: how many requests it may send at once, from 1 to 1000000. Goes"
        " with --rate.",
    )


def _shown(name: str) -> str:
    """A stored name as `keys list` prints it, with repr's escapes (of control characters and
    backslashes) but not its quotes: no name, not even one stored before names were checked,
    forges a line or drives the terminal."""
    return repr(name)[1:-1]


def _limit_given(args: argparse.Namespace) -> KeyLimit | None:
    """The limit --rate and --burst give together, or None for neither. Raises Refused."""
    if args.rate is None and args.burst is None:
        return None
    if args.rate is None or args.burst is None:
        raise Refused("--rate and --burst go together: give both, or neither")
    try:
        return rate_limits.limit(rate_limits.parse_rate(args.rate), args.burst)
    except rate_limits.InvalidLimit as error:
        raise Refused(f"--rate/--burst: {error}") from None


def _limit_shown(limit: KeyLimit | None) -> str:
    if limit is None:
        return "the server's default limit"
    return f"limit {rate_limits.shown(limit.rate_per_s)}, {limit.burst} at once"


async def run(args: argparse.Namespace, store: Store) -> int:
    if args.key_command == "create":
        minted = await keys.mint(
            store, organization=args.organization, user=args.user, limit=_limit_given(args)
        )
        print(minted.key)
        return 0
    if args.key_command == "list":
        for key in await store.list_api_keys():
            revoked = f"revoked {key.revoked_at.isoformat()}" if key.revoked_at else "active"
            own = f"  {_limit_shown(key.limit)}" if key.limit else ""
            print(
                f"{key.key_id}  {_shown(key.organization_name)}/{_shown(key.user_name)}"
                f"  created {key.created_at.isoformat()}  {revoked}{own}"
            )
        return 0
    if args.key_command == "limit":
        new = _limit_given(args)
        if (new is None) != args.clear:
            raise Refused("give either --rate with --burst, or --clear")
        if not await keys.set_limit(store, args.key_id, new):
            print(f"no key {args.key_id!r}", file=sys.stderr)
            return 1
        print(f"{args.key_id}: {_limit_shown(new)}")
        return 0
    outcome = await keys.revoke(store, args.key_id)
    if outcome is None:
        print(f"no key {args.key_id!r}", file=sys.stderr)
        return 1
    print(f"revoked {args.key_id}" if outcome else f"{args.key_id} was already revoked")
    return 0
