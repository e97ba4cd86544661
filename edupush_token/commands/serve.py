"""``edupush-token serve``: a local eduMFA (or privacyIDEA) with the plugin, ready to enroll and log in."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional, Sequence

from .. import TOKEN_TYPE
from .policies import describe, load_into, policies_to_load
from .progress import Progress

WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def prepare(
    directory: Path,
    database_url: Optional[str] = None,
    extra_config: Optional[dict] = None,
    progress: Optional[Progress] = None,
):
    """The LocalInstance, with whatever the first run must generate, showing each slow step."""
    from ..devtools.local_instance import LocalInstance

    progress = progress or Progress()
    instance = LocalInstance(directory, database_url=database_url, extra_config=extra_config)
    print(f"Preparing {instance.host.name} with the {TOKEN_TYPE} plugin in {directory}", flush=True)
    return instance.prepare(progress.step)


def load_policy_sets(instance, sets: Sequence[str], public_url: str, progress: Optional[Progress] = None) -> None:
    progress = progress or Progress()
    policies = policies_to_load(sets, public_url)
    # Forced: the sets carry this server's URL, which changes with its port or --public-url.
    with progress.step(f"Loading the policy sets {', '.join(sets)}"):
        result = load_into(instance.config_file, policies, force=True)
    for outcome in result.outcomes:
        print(f"    policy {outcome.name}: {describe(outcome, indent='    ')}")


def run(
    directory: Path,
    database_url: Optional[str],
    host: str,
    port: int,
    public_url: Optional[str],
    sets: Sequence[str],
    tls: Optional[tuple],
) -> int:
    from ..devtools.local_instance import DEMO_REALM, DEMO_USERS
    from ..devtools.served import make_server, serve_until_stopped

    try:
        instance = prepare(directory, database_url)
        server = make_server(instance, host, port, tls)
        base_url = (public_url or server.url).rstrip("/")
        load_policy_sets(instance, sets, base_url)
    except (ValueError, FileNotFoundError, OSError) as problem:
        print(f"edupush-token serve: {problem}", file=sys.stderr)
        return 2
    if not public_url and host in WILDCARD_HOSTS:
        print(f"  Note: phones cannot reach {server.url}; pass --public-url with the address they use.")
    users = ", ".join(f"{user.username} / {user.password}" for user in DEMO_USERS)
    print(
        f"""
{instance.host.name} is serving at {server.url}
  web UI and API:    {server.url}/
  admin:             admin / {instance.admin_password}
  users (realm {DEMO_REALM}): {users}
  phones register at {base_url}/ttype/{TOKEN_TYPE}
  configuration:     {instance.config_file}
  check it:          edupush-token doctor --config {instance.config_file}
Press Ctrl-C to stop.""",
        flush=True,
    )
    serve_until_stopped(server)
    return 0
