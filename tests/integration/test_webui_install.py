"""``edupush-token webui``: the templates in a copy of eduMFA's real web UI folder."""

import shutil
from pathlib import Path

import pytest

from edupush_token import webui
from edupush_token.catalogue import TOKEN_TYPE
from edupush_token.cli import main
from edupush_token.hosts.edumfa.webui_folder import static_folder


@pytest.fixture(scope="session")
def edumfa_static_folder():
    import edumfa

    return Path(edumfa.__file__).parent / "static"


@pytest.fixture
def static(edumfa_static_folder, tmp_path):
    """A static folder with eduMFA's own token views, and nothing else of its web UI."""
    folder = tmp_path / "static"
    shutil.copytree(edumfa_static_folder / webui.VIEWS, folder / webui.VIEWS)
    return folder


@pytest.fixture
def webui_command(static, capsys):
    """``webui_command(action)`` runs ``edupush-token webui ACTION --static-folder <static>``: (exit status, output)."""

    def run(action):
        status = main(["webui", action, "--static-folder", str(static)])
        captured = capsys.readouterr()
        return status, captured.out + captured.err

    return run


def installed(static):
    return {name: (static / webui.VIEWS / name).read_text() for name in webui.TEMPLATE_NAMES}


def packaged():
    return {name: webui.packaged_template(name) for name in webui.TEMPLATE_NAMES}


def test_install_puts_the_packaged_templates_in_place_and_check_agrees(static, webui_command):
    assert webui_command("check")[0] == 1
    status, output = webui_command("install")
    assert status == 0
    assert output.count("installed") == 2
    assert installed(static) == packaged()
    assert webui_command("check") == (
        0,
        "".join(f"  up to date  {static / webui.VIEWS / name}\n" for name in webui.TEMPLATE_NAMES),
    )


def test_install_is_idempotent(static, webui_command):
    webui_command("install")
    before = {path: path.stat().st_mtime_ns for path in (static / webui.VIEWS).iterdir()}
    status, output = webui_command("install")
    assert status == 0
    assert output.count("up to date") == 2
    assert {path: path.stat().st_mtime_ns for path in (static / webui.VIEWS).iterdir()} == before


def test_install_updates_a_copy_from_another_version(static, webui_command):
    webui_command("install")
    old_copy = static / webui.VIEWS / webui.TEMPLATE_NAMES[1]
    old_copy.write_text(f"<!-- {webui.MARKER} of an older version -->\n<p>old</p>\n")
    assert webui_command("check")[1].count("outdated") == 1
    status, output = webui_command("install")
    assert (status, output.count("updated")) == (0, 1)
    assert installed(static) == packaged()


@pytest.mark.parametrize("action", ["install", "uninstall"])
def test_a_file_of_someone_else_is_neither_overwritten_nor_removed(static, webui_command, action):
    foreign = static / webui.VIEWS / webui.TEMPLATE_NAMES[0]
    foreign.write_text("<p>an admin's own form</p>\n")
    status, output = webui_command(action)
    assert status == 2
    assert f"Will not {'overwrite' if action == 'install' else 'remove'} {foreign}" in output
    assert foreign.read_text() == "<p>an admin's own form</p>\n"
    assert not (static / webui.VIEWS / webui.TEMPLATE_NAMES[1]).exists()


def test_uninstall_removes_what_install_put_there(static, webui_command):
    webui_command("install")
    status, output = webui_command("uninstall")
    assert (status, output.count("removed")) == (0, 2)
    assert not any((static / webui.VIEWS / name).exists() for name in webui.TEMPLATE_NAMES)
    status, output = webui_command("check")
    assert status == 1
    assert f"Fix: edupush-token webui install --static-folder {static}" in output
    assert webui_command("uninstall")[1].count("not there") == 2


def test_a_folder_that_is_not_edumfas_web_ui_is_refused(tmp_path, capsys):
    assert main(["webui", "install", "--static-folder", str(tmp_path)]) == 2
    assert "is not the static folder of eduMFA's web UI" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_enrollment_page_that_no_longer_loads_per_type_templates_is_refused(static, webui_command):
    (static / webui.VIEWS / webui.ENROLL_PAGE).write_text("<form>a rewritten web UI</form>\n")
    status, output = webui_command("install")
    assert status == 2
    assert "not supported by this version of edupush-token" in output


def test_a_missing_config_file_is_an_error(tmp_path, capsys):
    assert main(["webui", "check", "--config", str(tmp_path / "edumfa.cfg")]) == 2
    assert f"no eduMFA configuration at {tmp_path / 'edumfa.cfg'}" in capsys.readouterr().err


def test_the_static_folder_is_the_one_edumfa_cfg_sets(instance, static, capsys):
    with open(instance.config_file, "a") as config:
        config.write(f"EDUMFA_STATIC_FOLDER = {str(static)!r}\n")
    assert main(["webui", "install", "--config", str(instance.config_file)]) == 0
    assert installed(static) == packaged()


def test_without_a_config_file_it_is_edumfas_built_in_folder(edumfa_static_folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # eduMFA's defaults log to edumfa.log in the current directory
    assert static_folder(str(tmp_path / "absent.cfg")) == edumfa_static_folder


def test_the_web_ui_offers_edupushplus_for_enrollment(admin):
    assert TOKEN_TYPE in admin.get("/auth/rights")["result"]["value"]
