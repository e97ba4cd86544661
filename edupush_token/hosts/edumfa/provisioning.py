"""A fresh eduMFA set up with eduMFA's own commands and library: keys, tables, admin, realm.

Used by :mod:`edupush_token.devtools.local_instance` for demos, tests and the benchmark.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator

from .app import all_loggers

Step = Callable[[str], ContextManager[Any]]


def run_setup_commands(app: Any, step: Step) -> None:
    """Keys and tables exactly as ``edumfa-manage`` makes them, by running its commands."""
    from edumfa.commands.manage.core import create_audit_keys, create_enckey, create_tables

    runner = app.test_cli_runner()

    def run(command: Any) -> None:
        result = runner.invoke(command)
        if result.exit_code != 0:
            raise RuntimeError(
                f"edumfa-manage {command.name} failed ({result.exit_code}):\n{result.output}"
            ) from result.exception

    encfile = Path(app.config["EDUMFA_ENCFILE"])
    if not encfile.exists():
        with step("Generating the encryption key file"):
            run(create_enckey)
            encfile.chmod(0o600)
    audit_key = Path(app.config["EDUMFA_AUDIT_KEY_PRIVATE"])
    if not audit_key.exists():
        with step("Generating the audit signing keys"):
            run(create_audit_keys)
            audit_key.chmod(0o600)
    with step("Creating or checking the database tables"), logging_restored_afterwards():
        run(create_tables)


def ensure_admin(username: str, password: str, replace: bool) -> None:
    """An admin in eduMFA's database; ``replace`` resets the password of an existing one."""
    from edumfa.lib.auth import create_db_admin, db_admin_exist, verify_db_admin

    if not db_admin_exist(username) or (replace and not verify_db_admin(username, password)):
        create_db_admin(username, password=password)


def ensure_realm(realm: str, resolver: str, users_file: Path) -> None:
    """A default realm over a passwd-file resolver pointing at ``users_file``."""
    from edumfa.lib.realm import realm_is_defined, set_default_realm, set_realm
    from edumfa.lib.resolver import get_resolver_list, save_resolver

    existing = get_resolver_list(filter_resolver_name=resolver).get(resolver)
    if existing is None or existing["data"].get("fileName") != str(users_file):
        save_resolver({"resolver": resolver, "type": "passwdresolver", "fileName": str(users_file)})
    if not realm_is_defined(realm):
        set_realm(realm, [resolver])
        set_default_realm(realm)


def close_database() -> None:
    from edumfa.models import db

    db.session.remove()
    db.engine.dispose()


@contextlib.contextmanager
def logging_restored_afterwards() -> Iterator[None]:
    """eduMFA's Alembic env.py (run by create_tables) calls ``fileConfig()``: it
    disables all eduMFA loggers and adds a stderr handler to the root logger,
    for the rest of the process.  Undo that."""
    saved = [
        (logger, logger.disabled, logger.level, list(logger.handlers), logger.propagate)
        for logger in [logging.getLogger(), *all_loggers()]
    ]
    try:
        yield
    finally:
        for logger in all_loggers():
            logger.disabled = False
        for logger, disabled, level, handlers, propagate in saved:
            logger.disabled, logger.level, logger.handlers, logger.propagate = disabled, level, handlers, propagate
