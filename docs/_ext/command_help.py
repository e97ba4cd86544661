"""``{command-help} [subcommand ...]``: the ``edupush-token`` command's own ``--help`` text.

The CLI reference is whatever the installed command prints, so it cannot
drift from the code; a subcommand that no longer exists is a build warning.
"""

from __future__ import annotations

import contextlib
import io
import os

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

HELP_WIDTH = "88"


class CommandHelp(SphinxDirective):
    optional_arguments = 8

    def run(self):
        from edupush_token import cli

        words = [*self.arguments, "--help"]
        output = io.StringIO()
        previous_columns = os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = HELP_WIDTH  # argparse wraps to the terminal otherwise
        try:
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                try:
                    code = cli.main(words)
                except SystemExit as exit_:
                    code = exit_.code
        finally:
            if previous_columns is None:
                del os.environ["COLUMNS"]
            else:
                os.environ["COLUMNS"] = previous_columns
        if code not in (0, None):
            message = f"edupush-token {' '.join(words)} exited with {code}:\n{output.getvalue()}"
            return [self.state.document.reporter.warning(message, line=self.lineno)]
        text = output.getvalue().rstrip()
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return [block]


def setup(app):
    app.add_directive("command-help", CommandHelp)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
