import sys

from animerec.recsys.cli.main import main

sys.exit(main())
