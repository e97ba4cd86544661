"""The bodies of the ``edupush-token`` subcommands; ``edupush_token.cli`` only parses arguments."""
