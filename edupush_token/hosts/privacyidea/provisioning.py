"""A fresh privacyIDEA set up with its own commands and library: keys, tables, admin, realm.

Used by :mod:`edupush_token.devtools.local_instance` for demos and tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, ContextManager

Step = Callable[[str], ContextManager[Any]]


def run_setup_commands(app: Any, step: Step) -> None:
    """Keys and tables exactly as ``pi-manage setup`` makes them, by running its commands."""
    from privacyidea.cli.pimanage.pi_setup import create_audit_keys, create_enckey, create_tables

    runner = app.test_cli_runner()
    files = {create_enckey: "PI_ENCFILE", create_audit_keys: "PI_AUDIT_KEY_PRIVATE"}
    for command in (create_enckey, create_audit_keys, create_tables):
        target = Path(app.config[files[command]]) if command in files else None
        if target is not None and target.exists():
            continue
        with step(f"pi-manage setup {command.name}"):
            result = runner.invoke(command)
            if result.exit_code != 0:
                raise RuntimeError(f"pi-manage setup {command.name} failed:\n{result.output}") from result.exception
        if target is not None:
            target.chmod(0o600)


def ensure_admin(username: str, password: str, replace: bool) -> None:
    """An admin in privacyIDEA's database; ``replace`` resets the password of an existing one."""
    from privacyidea.lib.auth import create_db_admin, db_admin_exists, verify_db_admin

    if not db_admin_exists(username) or (replace and not verify_db_admin(username, password)):
        create_db_admin(username, password=password)


def ensure_realm(realm: str, resolver: str, users_file: Path) -> None:
    """A default realm over a passwd-file resolver pointing at ``users_file``."""
    from privacyidea.lib.realm import realm_is_defined, set_default_realm, set_realm
    from privacyidea.lib.resolver import get_resolver_list, save_resolver

    found = get_resolver_list(filter_resolver_name=resolver).get(resolver)
    if found is None or found["data"].get("fileName") != str(users_file):
        save_resolver({"resolver": resolver, "type": "passwdresolver", "fileName": str(users_file)})
    if not realm_is_defined(realm):
        set_realm(realm, [{"name": resolver}])
        set_default_realm(realm)


def close_database() -> None:
    from privacyidea.models import db

    db.session.remove()
    db.engine.dispose()
