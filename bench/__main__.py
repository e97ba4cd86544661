import sys

from .triggerchallenge import main

sys.exit(main())
