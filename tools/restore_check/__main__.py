import sys

from components.scripts.restore_check import main

sys.exit(main())
