"""The plugin's log records land in eduMFA's log, where the docs send admins: once each, at eduMFA's level."""

import logging

import pytest

from edupush_token.catalogue import MAX_OPEN
from edupush_token.devtools.local_instance import OPTIONAL_LOGGING_CONFIG_FILE
from support import action

REFUSED = "push refused by the"
CONFIGURED_LOG = "configured.log"
LEVELS = (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR)
LOGGING_CONFIG = """
version: 1
formatters:
  plain: {{format: "[%(levelname)s][%(name)s] %(message)s"}}
handlers:
  file: {{class: logging.FileHandler, filename: {path}, formatter: plain}}
root: {{level: WARNING, handlers: [file]}}
loggers:
  edumfa: {{level: INFO}}
"""


@pytest.fixture
def instance(instance, request):
    """The test's instance, prepared by an ``indirect`` parameter (a function of it) before its app starts."""
    prepare = getattr(request, "param", None)
    if prepare is not None:
        prepare(instance)
    return instance


def log_level(level):
    return lambda instance: instance.update_setting("EDUMFA_LOGLEVEL", level)


def configured_logging(instance):
    """EDUMFA_LOGCONFIG with a handler on the root logger, which eduMFA's logger propagates to."""
    path = instance.directory / CONFIGURED_LOG
    (instance.directory / OPTIONAL_LOGGING_CONFIG_FILE).write_text(LOGGING_CONFIG.format(path=path))


@pytest.fixture
def refuse_a_push(admin, enrolled, trigger):
    """Two logins while one request may be open: the second push is refused, and a warning is logged."""

    def refuse():
        admin.set_policy("edupushplus-limits", "authentication", action(MAX_OPEN, MAX_OPEN.low))
        trigger()
        trigger()
        return enrolled.serial

    return refuse


def lines_with(text, log_file):
    return [line for line in log_file.read_text().splitlines() if text in line]


def test_a_refused_push_is_logged_once_in_edumfas_log_file(instance, refuse_a_push):
    serial = refuse_a_push()
    [line] = lines_with(REFUSED, instance.log_file)
    assert serial in line and "[WARNING][edupush_token.service.push:" in line


@pytest.mark.parametrize(
    ("instance", "configured"), [(log_level(level), level) for level in LEVELS], indirect=["instance"]
)
def test_edumfas_log_level_applies(instance, enrolled, configured):
    for level in LEVELS:
        logging.getLogger("edupush_token.service.push").log(level, "level test %s", logging.getLevelName(level))
    logged = {level for level in LEVELS if lines_with(f"level test {logging.getLevelName(level)}", instance.log_file)}
    assert logged == {level for level in LEVELS if level >= configured}


@pytest.mark.parametrize("instance", [configured_logging], indirect=True)
def test_a_logging_configuration_gets_each_record_once(instance, refuse_a_push):
    refuse_a_push()
    assert len(lines_with(REFUSED, instance.directory / CONFIGURED_LOG)) == 1
