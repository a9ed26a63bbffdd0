import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from bench.run import main

sys.exit(main())
