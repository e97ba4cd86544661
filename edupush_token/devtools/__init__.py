"""Development tools: the emulated phone, the FCM stand-in, a local eduMFA and the demo.

Their own dependencies come with the ``dev`` extra; the plugin does not need them.
"""

INSTALL_COMMAND = 'pip install "edupush-token[dev]"'
