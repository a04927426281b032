import sys

from tools.restore_check.check import main

sys.exit(main())
